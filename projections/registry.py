"""All projectors, by name."""

from __future__ import annotations

from projections.base import Projector
from projections.credit_accounts import CreditAccountsProjector
from projections.customers import CustomersProjector
from projections.journal import JournalProjector

PROJECTORS: dict[str, type[Projector]] = {
    p.name: p for p in (CustomersProjector, CreditAccountsProjector, JournalProjector)
}
