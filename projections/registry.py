"""All projectors, by name."""

from __future__ import annotations

from projections.activity import ActivityProjector
from projections.audit import AuditProjector
from projections.base import Projector
from projections.billing import BillingProjector
from projections.commissions import CommissionsProjector
from projections.credit_accounts import CreditAccountsProjector
from projections.customers import CustomersProjector
from projections.disputes import DisputesProjector
from projections.journal import JournalProjector
from projections.notifications.projector import NotificationsProjector
from projections.payouts import PayoutsProjector
from projections.reporting import ReportingProjector
from projections.statements import StatementsProjector
from projections.support.projector import SupportProjector
from projections.users import UsersProjector

PROJECTORS: dict[str, type[Projector]] = {
    p.name: p
    for p in (
        CustomersProjector,
        CreditAccountsProjector,
        JournalProjector,
        UsersProjector,
        ActivityProjector,
        BillingProjector,
        CommissionsProjector,
        AuditProjector,
        PayoutsProjector,
        ReportingProjector,
        DisputesProjector,
        StatementsProjector,
        SupportProjector,
        NotificationsProjector,
    )
}
