"""Accruing commissions on customer payments, along the sub-reseller chain (seed §5.1, §11).

Each customer payment accrues, in the same append, one pending recurring commission per
reseller in the chain (the customer's reseller up to the top-level one), split by the
pass-through rule, at the recurring rate of each reseller's plan in force on the payment date
(its `commission_percent` when no plan says otherwise). A `PaymentCommissions` record keeps the
payment's basis, so that a refund, credit note or chargeback *of that payment* inside the
holding period voids its pending records, and after it records clawbacks. Reversals not tied to
a payment record clawbacks at the rates in force on their date. Records are pending for the
holding period (`LEDGER_COMMISSION_HOLDING_DAYS`, fixed on each record when it is accrued),
then clear.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from commands.commissions.plans import PlanBook
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.commissions.payment_commissions import (
    CommissionSettings,
    PaymentCommissions,
    holding_ends,
    payment_commissions_id,
)
from domain.commissions.plans import capped_rates
from domain.commissions.records import Commission, pass_through_shares
from domain.customers.customer import Customer
from domain.ledger.money import Money
from domain.partners.reseller import MAX_HIERARCHY_DEPTH, Reseller, reseller_id

COMMISSION_NAMESPACE = uuid.UUID("0c8d2f0e-4f7a-4a51-9d0e-5b6e6c1c2a77")


def commission_settings(store: Store) -> CommissionSettings:
    """The settings the store was built with (the defaults for a store built without)."""
    settings = getattr(store, "commission_settings", None)
    return settings if isinstance(settings, CommissionSettings) else CommissionSettings()


def holding_period(store: Store) -> timedelta:
    return commission_settings(store).holding_period


def reseller_chain(store: Store, reseller_number: int) -> list[Reseller]:
    """The reseller and its ancestors, child first."""
    chain = [load(store, reseller_id(reseller_number), Reseller, "reseller")]
    while chain[-1].parent_number is not None and len(chain) <= MAX_HIERARCHY_DEPTH:
        chain.append(load(store, reseller_id(chain[-1].parent_number), Reseller, "reseller"))
    return chain


def recurring_chain(store: Store, reseller_number: int, on: date) -> list[tuple[int, Decimal]]:
    """Each reseller's recurring rate on the day, child first, capped by its parent's."""
    plans = PlanBook(store)
    rated: list[tuple[int, Decimal]] = []
    previous = Decimal(0)
    for reseller in reseller_chain(store, reseller_number):
        # A reseller without a rate of its own passes through what its child earns.
        rate = plans.recurring_rate(reseller, on)
        rated.append((reseller.number, previous if rate is None else rate))
        previous = rated[-1][1]
    return capped_rates(rated)


def _records(
    rated: list[tuple[int, Decimal]],
    customer_id: UUID,
    base: Money,
    on: date,
    hold_until: date,
    source: str,
) -> list[Commission]:
    if not rated or rated[-1][1] == 0:
        return []
    # A clawback is owed back at once: nothing can reverse it, so it needs no holding period
    # and no approval; the next payout nets it.
    clawback = base.amount < 0
    records = []
    for (number, rate), (_, share) in zip(rated, pass_through_shares(rated, base), strict=True):
        if share.is_zero:
            continue
        records.append(
            Commission.record(
                uuid.uuid5(COMMISSION_NAMESPACE, f"{source}:{number}"),
                number,
                customer_id,
                "recurring",
                base,
                rate,
                share,
                (on, on),
                "approved" if clawback else "pending",
                None if clawback else hold_until,
                source,
            )
        )
    return records


def accrue(
    store: Store, customer: Customer, base: Money, on: date, source: str
) -> list[Commission]:
    """Pending commission records for a base at the rates in force on the day (a negative
    base: the clawback of a reversal not tied to a payment)."""
    rated = recurring_chain(store, customer.reseller_number, on)
    return _records(rated, customer.id, base, on, on + holding_period(store), source)


def accrue_payment(
    store: Store,
    customer: Customer,
    amount: Money,
    on: date,
    source: str,
    *,
    recorded_on: date,
) -> tuple[list[Commission], PaymentCommissions]:
    """A payment's pending records and the basis a later reversal is judged by. The holding
    period runs from `recorded_on` (the day the money was recorded) when that is later than
    the business date `on`."""
    rated = recurring_chain(store, customer.reseller_number, on)
    hold_until = holding_ends(on, recorded_on, holding_period(store))
    records = _records(rated, customer.id, amount, on, hold_until, source)
    basis = PaymentCommissions(
        source=source,
        customer_id=customer.id,
        paid=amount,
        paid_on=on,
        hold_until=hold_until,
        rates=[[number, str(rate)] for number, rate in rated],
        record_ids=[r.id for r in records],
    )
    return records, basis


def reverse_payment(
    store: Store, customer: Customer, source: str, amount: Money, on: date, reversal: str
) -> list[Aggregate]:
    """A refund, credit note or chargeback of `amount` of a payment, dated `on`: inside the
    holding period its pending records are voided (and replaced on what remains); after it,
    clawback records. Payments recorded before their basis was kept fall back to clawbacks at
    the rates in force on the day."""
    basis_id = payment_commissions_id(source)
    if not exists(store, basis_id):
        return list(accrue(store, customer, -amount, on, reversal))
    basis = load(store, basis_id, PaymentCommissions, "payment commissions")
    standing = [load(store, i, Commission, "commission") for i in basis.record_ids]
    if basis.reversal_outcome(on, [r.status for r in standing]) == "voided":
        for record in standing:
            record.void(f"{reversal} inside the holding period")
        remaining = basis.standing - amount
        replacements = (
            _records(
                basis.chain,
                customer.id,
                remaining,
                basis.paid_on,
                basis.hold_until,
                f"{source}:after:{reversal}",
            )
            if remaining.is_positive
            else []
        )
        basis.reverse(reversal, amount, on, "voided", [r.id for r in replacements])
        return [basis, *standing, *replacements]
    clawbacks = _records(
        basis.chain, customer.id, -amount, on, on + holding_period(store), reversal
    )
    basis.reverse(reversal, amount, on, "clawed_back", basis.record_ids)
    return [basis, *clawbacks]


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
