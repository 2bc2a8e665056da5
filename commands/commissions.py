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
from typing import Any
from uuid import UUID

from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access import Permission
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


def clear_commission(store: Store, context: RequestContext, commission_id: UUID) -> CommandResult:
    """Clear a pending commission whose holding period is over (the sweep job calls this; a
    commission not yet due, or already cleared, is left as it is)."""

    def handle() -> Outcome:
        record = load(store, commission_id, Commission, "commission")
        context.principal.reseller_in_scope(record.reseller_number)
        context.principal.require(Permission.RESELLER_MANAGE)
        record.clear(context.received_at.date())
        return Outcome(
            [record], commission_view(record), _tenant(store, record), record.reseller_number
        )

    return run_command(store, context, handle, fingerprint("clear_commission", commission_id))


def approve_commission(store: Store, context: RequestContext, commission_id: UUID) -> CommandResult:
    """The master ISP approves a cleared commission for payout."""

    def handle() -> Outcome:
        record = load(store, commission_id, Commission, "commission")
        context.principal.reseller_in_scope(record.reseller_number)
        context.principal.require(Permission.RESELLER_MANAGE)
        record.approve(context.received_at.date())
        return Outcome(
            [record], commission_view(record), _tenant(store, record), record.reseller_number
        )

    return run_command(store, context, handle, fingerprint("approve_commission", commission_id))


def commission_view(record: Commission) -> dict[str, Any]:
    return {
        "commission_id": str(record.id),
        "reseller_id": record.reseller_number,
        "customer_id": None if record.customer_id is None else str(record.customer_id),
        "commission_type": record.commission_type,
        "base_amount": str(record.base_amount.amount),
        "commission_rate": str(record.commission_rate),
        "commission_amount": str(record.commission_amount.amount),
        "period_start": record.period_start.isoformat(),
        "period_end": record.period_end.isoformat(),
        "status": record.status,
        "hold_until": None if record.hold_until is None else record.hold_until.isoformat(),
    }


def _tenant(store: Store, record: Commission) -> int:
    return load(store, reseller_id(record.reseller_number), Reseller, "reseller").root_number
