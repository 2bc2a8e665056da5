"""All projectors, by name."""

from __future__ import annotations

from projections.access.activity import ActivityProjector
from projections.access.users import UsersProjector
from projections.audit.trail import AuditProjector
from projections.base import Projector
from projections.billing.billing import BillingProjector
from projections.commissions.disputes import DisputesProjector
from projections.commissions.payouts import PayoutsProjector
from projections.commissions.records import CommissionsProjector
from projections.commissions.statements import StatementsProjector
from projections.credit.credit_accounts import CreditAccountsProjector
from projections.customers.customers import CustomersProjector
from projections.ledger.journal import JournalProjector
from projections.notifications.projector import NotificationsProjector
from projections.reporting.read_model import ReportingProjector
from projections.support.projector import SupportProjector
from projections.webhooks.outbox import WebhooksProjector

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
        WebhooksProjector,
    )
}
