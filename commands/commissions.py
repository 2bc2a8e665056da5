"""Accruing commissions on customer payments, along the sub-reseller chain (seed §5.1, §11).

Each customer payment accrues, in the same append, one pending recurring commission per
reseller in the chain (the customer's reseller up to the top-level one), split by the
pass-through rule. A refund or credit note accrues the opposite (a clawback entry) the same way.
Records are pending for the holding period, then clear.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from commands.runner import Store
from commands.store_access import load
from domain.commissions import Commission, pass_through_shares
from domain.customer import Customer
from domain.money import Money
from domain.reseller import MAX_HIERARCHY_DEPTH, Reseller, reseller_id

HOLDING_PERIOD = timedelta(days=30)
COMMISSION_NAMESPACE = uuid.UUID("0c8d2f0e-4f7a-4a51-9d0e-5b6e6c1c2a77")


def reseller_chain(store: Store, reseller_number: int) -> list[Reseller]:
    """The reseller and its ancestors, child first."""
    chain = [load(store, reseller_id(reseller_number), Reseller, "reseller")]
    while chain[-1].parent_number is not None and len(chain) <= MAX_HIERARCHY_DEPTH:
        chain.append(load(store, reseller_id(chain[-1].parent_number), Reseller, "reseller"))
    return chain


def accrue(
    store: Store, customer: Customer, base: Money, on: date, source: str
) -> list[Commission]:
    """Pending commission records for a payment (positive base) or a clawback (negative)."""
    chain = reseller_chain(store, customer.reseller_number)
    rated: list[tuple[int, Decimal]] = []
    previous = Decimal(0)
    for reseller in chain:
        # A reseller without a rate of its own passes nothing through.
        rate = reseller.commission_percent if reseller.commission_percent is not None else previous
        rated.append((reseller.number, max(rate, previous)))
        previous = max(rate, previous)
    if previous == 0:
        return []
    records = []
    for (number, rate), (_, share) in zip(rated, pass_through_shares(rated, base), strict=True):
        if share.is_zero:
            continue
        records.append(
            Commission.accrue(
                uuid.uuid5(COMMISSION_NAMESPACE, f"{source}:{number}"),
                number,
                customer.id,
                base,
                rate,
                share,
                on,
                on + HOLDING_PERIOD,
                source,
            )
        )
    return records
