"""Builders for payout tests: approved commission records through the real command layer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from commands.billing.corrections import Refund, issue_refund
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.commissions.accrual import COMMISSION_NAMESPACE, approve_commission, clear_commission
from commands.customers.customers import CreateCustomer, create_customer
from tests.support.builders import Tenant, context


def new_customer(store: Any, tenant: Tenant) -> uuid.UUID:
    created = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person", first_name="Pay", last_name="Out", reseller_id=tenant.number
        ),
    )
    return uuid.UUID(json.loads(created.body)["customer_id"])


def approve_all(store: Any, commission_ids: list[str]) -> None:
    """Clear and approve each record that is not approved yet (a clawback may be born
    approved: it is owed back at once)."""
    later = datetime.now(UTC) + timedelta(days=400)
    for commission in commission_ids:
        if store.repository.get(uuid.UUID(commission)).status == "approved":
            continue
        clear_commission(store, context(now=later), uuid.UUID(commission))
        approve_commission(store, context(), uuid.UUID(commission))


def approved_commission(
    store: Any, tenant: Tenant, payment: str, refunded: str | None = None
) -> list[str]:
    """A customer payment (and optionally a refund: a clawback) whose commission records are
    cleared and approved; returns their ids. The tenant's rate is 10% by default."""
    customer = new_customer(store, tenant)
    paid = record_customer_payment(
        store,
        context(),
        customer,
        CustomerPayment(amount=Decimal(payment), currency=tenant.currency, method="cash"),
    )
    ids: list[str] = list(json.loads(paid.body)["commissions"])
    # Approved before any refund, so a refund claws back rather than voiding pending records.
    approve_all(store, ids)
    if refunded is not None:
        done = issue_refund(
            store,
            context(),
            customer,
            Refund(amount=Decimal(refunded), currency=tenant.currency, method="cash"),
        )
        source = f"refund:{json.loads(done.body)['refund_id']}"
        ids.append(str(uuid.uuid5(COMMISSION_NAMESPACE, f"{source}:{tenant.number}")))
    approve_all(store, ids)
    return ids


_statements: dict[int, str] = {}


def payout_with_statement(store: Any, reseller_number: int, cycle: str = "2027-01") -> str:
    """A payout (its statement prepared) for the reseller, made once per reseller."""
    from commands.commissions.payouts import prepare_statement

    if reseller_number not in _statements:
        tenant = Tenant(reseller_number, "", "USD", {})
        ids = approved_commission(store, tenant, "700.00")
        made = prepare_statement(
            store, context(), reseller_number, cycle, [uuid.UUID(i) for i in ids]
        )
        _statements[reseller_number] = json.loads(made.body)["payout_id"]
    return _statements[reseller_number]


def pay_out_a_cycle(store: Any, tenant: Tenant) -> None:
    """Approved records paid through a whole cycle (statement, payment, receipt) in January
    2027; calling it again for the same tenant adds records that wait for the next cycle."""
    from commands.commissions.payouts import PayoutPolicy, advance_cycle

    ids = [uuid.UUID(i) for i in approved_commission(store, tenant, "1000.00")]
    for now in (datetime(2027, 1, 4, 9, tzinfo=UTC), datetime(2027, 1, 15, 10, tzinfo=UTC)):
        advance_cycle(store, context(now=now), tenant.number, lambda: ids, PayoutPolicy())
