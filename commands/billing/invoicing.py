"""Billing a customer for a period, and the proforma of it (seed §8).

Billing a customer for a period is idempotent: a `BillingRecord` whose id is derived from
(customer, period) is created in the same atomic append as the invoice, its number (from the
reseller's gap-free counter) and the wholesale charge on the reseller's credit account; a second
run, concurrent or after a crash, collides with it and bills nothing.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from commands.billing.accounts import (
    invoice_view,
    open_account,
)
from commands.catalogue.tariffs import load_tariff, retail_price
from commands.customers.customers import load_customer_in_scope
from commands.errors import Unprocessable
from commands.models import ApiDate, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.billing.customer_account import BillingRecord
from domain.billing.invoice_lines import price_line, shown_quantity
from domain.catalogue.tariffs import Counter, CustomerService, service_periods
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.customers.customer import Customer
from domain.ledger.money import Money, round_half_up
from domain.ledger.tax import standard_rate
from domain.partners.reseller import Reseller, reseller_id

MAX_PERIOD_DAYS = 92


class BillingPeriod(CommandModel):
    period_start: ApiDate
    period_end: ApiDate


def check_period(period: BillingPeriod) -> int:
    days = (period.period_end - period.period_start).days + 1
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise Unprocessable(f"a billing period is 1-{MAX_PERIOD_DAYS} days", field="period_end")
    return days


def _counter(store: Store, name: str) -> Counter:
    counter_id = Counter.create_id(name)
    if exists(store, counter_id):
        return load(store, counter_id, Counter, "counter")
    return Counter(name=name)


def invoice_lines(
    store: Store, customer: Customer, reseller: Reseller, start: date, end: date, rate: Decimal
) -> tuple[list[dict[str, Any]], Money | None]:
    """The period's lines (each service, per tariff, prorated by billable days) and the
    wholesale cost behind them."""
    days_in_period = (end - start).days + 1
    lines: list[dict[str, Any]] = []
    wholesale: Money | None = None
    for service_id in customer.service_ids:
        service = load(store, service_id, CustomerService, "service")
        for tariff_number, days in service_periods(service.history, start, end):
            tariff = load_tariff(store, tariff_number)
            price = retail_price(store, reseller.number, tariff, start, 0, customer.customer_type)
            share = Decimal(days) / Decimal(days_in_period)
            label = f"{tariff.name} {start.isoformat()}..{end.isoformat()}"
            if days < days_in_period:
                label += f" ({days}/{days_in_period} days)"
            lines.append(price_line(label, share, price.retail, rate, str(service.id)))
            cost = round_half_up(share * tariff.wholesale.amount, tariff.wholesale.currency)
            wholesale = cost if wholesale is None else wholesale + cost
    return lines, wholesale


def bill_customer(
    store: Store, context: RequestContext, customer_id: UUID, period: BillingPeriod
) -> CommandResult:
    check_period(period)
    start, end = period.period_start, period.period_end

    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.BILLING_MANAGE)
        record_id = BillingRecord.create_id(customer.id, start, end)
        if exists(store, record_id):
            record = load(store, record_id, BillingRecord, "billing record")
            body: dict[str, Any] = {
                "customer_id": str(customer.id),
                "invoice_id": record.invoice_id,
                "already_billed": True,
            }
            return Outcome([], body, customer.tenant_number, customer.reseller_number)
        reseller = load(store, reseller_id(customer.reseller_number), Reseller, "reseller")
        rate = standard_rate(reseller.country)
        lines, wholesale = invoice_lines(store, customer, reseller, start, end, rate)
        if not lines:
            record = BillingRecord(customer.id, start, end, None)
            body = {"customer_id": str(customer.id), "invoice_id": None, "already_billed": False}
            return Outcome([record], body, customer.tenant_number, customer.reseller_number)
        account = open_account(store, customer, reseller.currency)
        counter = _counter(store, f"invoices:{reseller.number}")
        number = f"{reseller.code}-{counter.take():06d}"
        invoice_id = str(uuid.uuid5(record_id, "invoice"))
        issued_on = context.received_at.date()
        account.issue_invoice(invoice_id, number, issued_on, lines, rate, start, end)
        changed: list[Aggregate] = [
            account,
            counter,
            BillingRecord(customer.id, start, end, invoice_id),
        ]
        if wholesale is not None and wholesale.is_positive:
            credit_account = load(
                store, credit_account_id(reseller.number), CreditAccount, "credit account"
            )
            credit_account.record_charge(
                wholesale,
                f"wholesale for {customer.portal_id} {start}..{end}",
                number,
                issued_on,
                context.received_at,
            )
            changed.append(credit_account)
        body = {
            "customer_id": str(customer.id),
            "invoice_id": invoice_id,
            "number": number,
            "already_billed": False,
        } | invoice_view(account, invoice_id)
        return Outcome(changed, body, customer.tenant_number, customer.reseller_number, 201)

    return run_command(
        store,
        context,
        handle,
        fingerprint("bill_customer", customer_id, period.model_dump(mode="json")),
    )


def proforma(
    store: Store, context: RequestContext, customer_id: UUID, period: BillingPeriod
) -> dict[str, Any]:
    """What the period's invoice would hold, without issuing it (no number, no postings)."""
    check_period(period)
    customer = load_customer_in_scope(store, context, customer_id)
    context.principal.require(Permission.BILLING_VIEW)
    reseller = load(store, reseller_id(customer.reseller_number), Reseller, "reseller")
    rate = standard_rate(reseller.country)
    lines, _ = invoice_lines(
        store, customer, reseller, period.period_start, period.period_end, rate
    )
    net = sum((line["net"].amount for line in lines), Decimal(0))
    tax = sum((line["tax"].amount for line in lines), Decimal(0))
    return {
        "proforma": True,
        "customer_id": str(customer.id),
        "currency": reseller.currency,
        "period_start": period.period_start.isoformat(),
        "period_end": period.period_end.isoformat(),
        "lines": [
            {
                "description": ln["description"],
                "quantity": shown_quantity(ln["quantity"]),
                "unit_price": str(ln["unit_price"].amount),
                "net": str(ln["net"].amount),
                "tax": str(ln["tax"].amount),
                "service_id": ln["service_id"],
            }
            for ln in lines
        ],
        "tax_rate": str(rate),
        "net": str(net),
        "tax": str(tax),
        "total": str(net + tax),
    }
