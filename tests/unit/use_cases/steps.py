"""Given-steps of the use-case tests: each sets up a world through the real handlers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from commands.billing.invoicing import BillingPeriod, bill_customer
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    authorize_tariff,
    define_tariff,
)
from commands.customers.customers import CreateCustomer, create_customer
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    add_service,
    change_service_status,
)
from commands.principal import RequestContext
from commands.runner import CommandResult
from domain.access.roles import Role
from infra.event_store import LedgerStore
from tests.support.builders import ISP, Tenant, context, new_reseller, reseller_principal

JANUARY_1 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
"""When the worlds of the billing and commission tests start: a fixed, past instant."""


def body(result: CommandResult) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(result.body)
    return parsed


def as_isp(key: str | None = None, now: datetime | None = None) -> RequestContext:
    return context(ISP, idempotency_key=key, now=now)


def as_reseller(
    number: int, role: Role = Role.ADMIN, key: str | None = None, now: datetime | None = None
) -> RequestContext:
    return context(reseller_principal(number, role), idempotency_key=key, now=now)


def a_reseller(store: LedgerStore, **options: Any) -> Tenant:
    """A top-level reseller (country NG, USD, credit limit 1000.00, 10% commission)."""
    return new_reseller(store, roles=(), **options)


def a_customer(
    store: LedgerStore, reseller: int, now: datetime | None = None, **fields: Any
) -> UUID:
    command = CreateCustomer(
        **({"customer_type": "person", "first_name": "Ada", "last_name": "Obi"} | fields)
    )
    result = create_customer(store, as_reseller(reseller, now=now), command)
    return UUID(body(result)["customer_id"])


def a_tariff(
    store: LedgerStore, reseller: int, price: str = "20.00", service_type: str = "internet"
) -> int:
    """An ISP tariff, authorized for the reseller (no regions)."""
    defined = define_tariff(
        store,
        as_isp(),
        DefineTariff(
            service_type=service_type,  # type: ignore[arg-type]
            name=f"{service_type} {price}",
            wholesale_price=Decimal(price),
            currency="USD",
        ),
    )
    number = int(body(defined)["tariff_id"])
    authorize_tariff(store, as_isp(), reseller, AuthorizeTariff(tariff_id=number))
    return number


def a_service(
    store: LedgerStore, reseller: int, customer: UUID, tariff: int, now: datetime | None = None
) -> UUID:
    """A service added (pending) to the customer."""
    added = add_service(
        store, as_reseller(reseller, now=now), customer, AddService(tariff_id=tariff)
    )
    return UUID(body(added)["service_id"])


def an_active_service(
    store: LedgerStore, reseller: int, customer: UUID, tariff: int, since: datetime
) -> UUID:
    service = a_service(store, reseller, customer, tariff, now=since)
    change_service_status(
        store,
        as_reseller(reseller, now=since),
        service,
        ChangeServiceStatus(status="active", on=since.date()),
    )
    return service


def a_paid_invoice(
    store: LedgerStore, reseller: int, customer: UUID, billed: datetime, paid: str
) -> list[UUID]:
    """The customer's invoice for the month before `billed`, paid in full that day with
    `paid`; returns the commission records the payment accrued."""
    start = date(billed.year - (billed.month == 1), (billed.month - 2) % 12 + 1, 1)
    first, last = month(start.year, start.month)
    bill_customer(
        store,
        as_reseller(reseller, now=billed),
        customer,
        BillingPeriod(period_start=first, period_end=last),
    )
    payment = record_customer_payment(
        store,
        as_reseller(reseller, now=billed),
        customer,
        CustomerPayment(amount=Decimal(paid), currency="USD", method="bank_transfer"),
    )
    return [UUID(c) for c in body(payment)["commissions"]]


def month(year: int, number: int) -> tuple[date, date]:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)
