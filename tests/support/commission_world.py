"""Builders for commission scenarios, through the real command layer and store: resellers with
plans, customers whose services are active from given dates, invoices, payments, reversals."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from commands.billing.corrections import (
    Chargeback,
    CreditNote,
    Refund,
    issue_credit_note,
    issue_refund,
    record_chargeback,
)
from commands.billing.invoicing import BillingPeriod, bill_customer
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    authorize_tariff,
    define_tariff,
)
from commands.commissions.periods import calculate_period
from commands.commissions.plans import SetCommissionPlan, set_commission_plan
from commands.customers.customers import CreateCustomer, create_customer
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    add_service,
    change_service_status,
)
from domain.commissions.records import Commission
from domain.ledger.journal import Side
from tests.support.builders import Tenant, context, new_reseller

_payments = itertools.count(1)


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def reseller(store: Any, percent: str | None = "10.00", parent: int | None = None) -> Tenant:
    return new_reseller(
        store, roles=(), parent=parent, commission_percent=percent, credit_limit="10000000.00"
    )


def plan(store: Any, number: int, effective_from: str, **rules: Any) -> dict[str, Any]:
    result = set_commission_plan(
        store,
        context(),
        number,
        SetCommissionPlan.model_validate({"effective_from": effective_from, **rules}),
    )
    assert result.status_code == 201, result.body
    return dict(json.loads(result.body))


def tariff(store: Any, number: int, service_type: str = "internet", price: str = "40.00") -> int:
    made = define_tariff(
        store,
        context(),
        DefineTariff(
            service_type=service_type, name=f"{service_type} {price}", wholesale_price=price,
            currency="USD",
        ),
    )  # fmt: skip
    tariff_number = int(json.loads(made.body)["tariff_id"])
    authorize_tariff(store, context(), number, AuthorizeTariff(tariff_id=tariff_number))
    return tariff_number


def customer(store: Any, number: int) -> UUID:
    created = create_customer(
        store,
        context(),
        CreateCustomer(customer_type="person", first_name="C", last_name="Ommission",
                       reseller_id=number),
    )  # fmt: skip
    return UUID(json.loads(created.body)["customer_id"])


def service(
    store: Any, customer_id: UUID, tariff_number: int, changes: Iterable[tuple[str, str]]
) -> str:
    """A service added on the first change's day, then moved through (day, status) changes."""
    changes = list(changes)
    added = add_service(
        store,
        context(now=at(date.fromisoformat(changes[0][0]))),
        customer_id,
        AddService(tariff_id=tariff_number),
    )
    service_id = str(json.loads(added.body)["service_id"])
    for day, status in changes:
        changed = change_service_status(
            store,
            context(),
            UUID(service_id),
            ChangeServiceStatus(status=status, on=date.fromisoformat(day)),  # type: ignore[arg-type]
        )
        assert changed.status_code == 200, changed.body
    return service_id


def bill(store: Any, customer_id: UUID, start: str, end: str) -> dict[str, Any]:
    billed = bill_customer(
        store,
        context(),
        customer_id,
        BillingPeriod(period_start=date.fromisoformat(start), period_end=date.fromisoformat(end)),
    )
    assert billed.status_code == 201, billed.body
    return dict(json.loads(billed.body))


def pay(store: Any, customer_id: UUID, amount: str, on: str) -> dict[str, Any]:
    # Recorded on its business date, as it would have been: the holding period runs from then.
    paid = record_customer_payment(
        store,
        context(now=datetime.combine(date.fromisoformat(on), time(12), UTC)),
        customer_id,
        CustomerPayment(
            payment_id=f"p{next(_payments)}-{uuid.uuid4().hex[:6]}",
            amount=Decimal(amount),
            currency="USD",
            method="card",
            effective_date=date.fromisoformat(on),
        ),
    )
    assert paid.status_code == 201, paid.body
    return dict(json.loads(paid.body))


def reverse(
    store: Any, kind: str, customer_id: UUID, payment_id: str, amount: str, on: str,
    invoice_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    day = date.fromisoformat(on)
    if kind == "refund":
        done = issue_refund(
            store,
            context(),
            customer_id,
            Refund(amount=Decimal(amount), currency="USD", method="card", effective_date=day,
                   payment_id=payment_id),
        )  # fmt: skip
    elif kind == "chargeback":
        done = record_chargeback(
            store,
            context(),
            customer_id,
            Chargeback(payment_id=payment_id, amount=Decimal(amount), currency="USD",
                       reason="disputed with the bank", effective_date=day),
        )  # fmt: skip
    else:
        assert invoice_id is not None
        done = issue_credit_note(
            store,
            context(),
            customer_id,
            CreditNote(invoice_id=invoice_id, net=Decimal(amount), currency="USD",
                       reason="goodwill", effective_date=day, payment_id=payment_id),
        )  # fmt: skip
    assert done.status_code == 201, done.body
    return dict(json.loads(done.body))


def calculate(store: Any, number: int, period: str) -> dict[str, Any]:
    result = calculate_period(store, context(), number, period)
    assert result.status_code == 200, result.body
    return dict(json.loads(result.body))


def summary(records: Iterable[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return sorted((r["commission_type"], r["reseller_id"], r["commission_amount"]) for r in records)


def commission(store: Any, commission_id: str | UUID) -> Commission:
    record = store.repository.get(UUID(str(commission_id)))
    assert isinstance(record, Commission)
    return record


def commissions_of(store: Any, customer_id: UUID) -> list[Commission]:
    """Every commission record on a customer, from the store's log."""
    found: dict[UUID, Commission] = {}
    position = 0
    topic = "domain.commissions.records:Commission.Calculated"
    while notifications := store.recorder.select_notifications(
        start=position, limit=1000, topics=(topic,), inclusive_of_start=False
    ):
        for notification in notifications:
            event = store.mapper.to_domain_event(notification)
            if event.customer_id == customer_id:
                found[event.originator_id] = commission(store, event.originator_id)
        position = notifications[-1].id
    return list(found.values())


def ledger_of(store: Any, aggregate_ids: Iterable[UUID]) -> dict[str, Decimal]:
    """Signed sum (debits positive) of every posting the aggregates' events carry, per account,
    plus the grand total under ''."""
    balances: dict[str, Decimal] = {"": Decimal(0)}
    for aggregate_id in set(aggregate_ids):
        for event in store.events.get(aggregate_id):
            for posting in getattr(event, "postings", None) or []:
                signed = posting.money.amount * (1 if posting.side is Side.DEBIT else -1)
                balances[posting.account] = balances.get(posting.account, Decimal(0)) + signed
                balances[""] += signed
    return balances
