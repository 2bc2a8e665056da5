"""Builders for tax statement tests: resellers with tax profiles, approved commissions, and
payouts paid on chosen business dates, all through the real command layer."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

import psycopg

from commands.billing.corrections import Refund, issue_refund
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.commissions.accrual import COMMISSION_NAMESPACE, approve_commission, clear_commission
from commands.commissions.payouts import (
    PayoutPolicy,
    SetTaxProfile,
    pay_payout,
    prepare_statement,
    set_tax_profile,
)
from domain.commissions.payouts import Payout, payout_id
from domain.commissions.records import Commission
from projections.base import feed_position
from projections.registry import PROJECTORS
from tests.support.builders import Tenant, context, new_reseller
from tests.support.payouts import new_customer

TIN = "123-45-6789"


def reseller_with_profile(
    store: Any,
    country: str,
    tin: str | None = None,
    vat_id: str | None = None,
    backup_withholding: bool = False,
    parent: int | None = None,
    commission_percent: str = "10.00",
    name: str | None = None,
) -> Tenant:
    tenant = new_reseller(store, parent=parent, commission_percent=commission_percent)
    set_profile(store, tenant, country, tin, vat_id, backup_withholding, name)
    return tenant


def set_profile(
    store: Any,
    tenant: Tenant,
    country: str,
    tin: str | None = None,
    vat_id: str | None = None,
    backup_withholding: bool = False,
    name: str | None = None,
) -> None:
    result = set_tax_profile(
        store,
        context(),
        tenant.number,
        SetTaxProfile(
            legal_name=name or f"Payee {tenant.code} LLC",
            address=f"{tenant.number} Main Street, Springfield",
            country=country,
            vat_id=vat_id,
            tin=tin,
            backup_withholding=backup_withholding,
        ),
    )
    assert result.status_code == 200, result.body


def commissions_for_payment(store: Any, tenant: Tenant, amount: str) -> list[uuid.UUID]:
    """A customer payment whose commission records (for the tenant and every ancestor) are
    cleared and approved."""
    customer = new_customer(store, tenant)
    paid = record_customer_payment(
        store,
        context(),
        customer,
        CustomerPayment(amount=Decimal(amount), currency=tenant.currency, method="cash"),
    )
    ids = [uuid.UUID(c) for c in json.loads(paid.body)["commissions"]]
    later = datetime.now(UTC) + timedelta(days=31)
    for commission in ids:
        clear_commission(store, context(now=later), commission)
        approve_commission(store, context(), commission)
    return ids


def clawback(store: Any, tenant: Tenant, paid: str, refunded: str) -> list[uuid.UUID]:
    """A payment's approved commissions and then a refund of customer credit: clawback
    records (negative, approved at once) at the tenant's rates."""
    customer = new_customer(store, tenant)
    payment = record_customer_payment(
        store,
        context(),
        customer,
        CustomerPayment(amount=Decimal(paid), currency=tenant.currency, method="cash"),
    )
    ids = [uuid.UUID(c) for c in json.loads(payment.body)["commissions"]]
    later = datetime.now(UTC) + timedelta(days=31)
    for commission in ids:
        clear_commission(store, context(now=later), commission)
        approve_commission(store, context(), commission)
    done = issue_refund(
        store,
        context(),
        customer,
        Refund(amount=Decimal(refunded), currency=tenant.currency, method="cash"),
    )
    source = f"refund:{json.loads(done.body)['refund_id']}"
    claw = uuid.uuid5(COMMISSION_NAMESPACE, f"{source}:{tenant.number}")
    record = store.repository.get(claw)
    assert isinstance(record, Commission) and record.status == "approved"
    assert record.commission_amount.amount < 0
    return [*ids, claw]


def pay(
    store: Any,
    tenant: Tenant,
    cycle: str,
    records: list[uuid.UUID],
    statement_on: date,
    paid_on: date,
) -> Payout.Paid:
    """The cycle's statement on one business day and its payment on another."""
    prepared = prepare_statement(
        store, context(now=_at(statement_on)), tenant.number, cycle, records
    )
    assert prepared.status_code == 201, prepared.body
    paid = pay_payout(store, context(now=_at(paid_on)), tenant.number, cycle, PayoutPolicy())
    assert paid.status_code == 200, paid.body
    (event,) = [
        e for e in store.events.get(payout_id(tenant.number, cycle)) if isinstance(e, Payout.Paid)
    ]
    return event


def _at(day: date) -> datetime:
    return datetime.combine(day, clock_time(10), tzinfo=UTC)


def wait_projected(database_url: str, store: Any, timeout_s: float = 30.0) -> int:
    head: int = store.recorder.max_notification_id()
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(database_url, autocommit=True) as conn:
        while any(feed_position(conn, p) < head for p in PROJECTORS.values()):
            assert time.monotonic() < deadline, "projections did not catch up"
            time.sleep(0.02)
    return head
