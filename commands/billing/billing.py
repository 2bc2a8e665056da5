"""Billing and payments (seed §8): billing a customer for a period, customer payments (oldest
invoice first), failed payments, credit notes, refunds, and closing the books.

Billing a customer for a period is idempotent: a `BillingRecord` whose id is derived from
(customer, period) is created in the same atomic append as the invoice, its number (from the
reseller's gap-free counter) and the wholesale charge on the reseller's credit account; a second
run, concurrent or after a crash, collides with it and bills nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.billing.payment_settings import load_payment_settings
from commands.catalogue.tariffs import load_tariff, retail_price
from commands.commissions.accrual import accrue, accrue_payment, reverse_payment
from commands.credit.credit_account import effective_date
from commands.customers.customers import load_customer_in_scope
from commands.errors import NotFound, Unprocessable
from commands.models import Amount, ApiDate, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.billing.customer_account import (
    BillingRecord,
    CustomerAccount,
    customer_account_id,
    price_line,
    shown_quantity,
)
from domain.catalogue.tariffs import Counter, CustomerService, service_periods
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.customers.customer import Customer, cycle_period
from domain.ledger.errors import DomainError
from domain.ledger.money import Money, round_half_up
from domain.ledger.tax import standard_rate
from domain.partners.reseller import Reseller, reseller_id

MAX_PERIOD_DAYS = 92


class BillingPeriod(CommandModel):
    period_start: ApiDate
    period_end: ApiDate


class BillingRun(CommandModel):
    """Either an explicit period for everyone, or `on`: each customer's own billing cycle
    period that contains that date."""

    period_start: ApiDate | None = None
    period_end: ApiDate | None = None
    on: ApiDate | None = None

    def period(self) -> BillingPeriod | None:
        if self.on is not None:
            if self.period_start is not None or self.period_end is not None:
                raise Unprocessable("give either 'on' or a period, not both", field="on")
            return None
        if self.period_start is None or self.period_end is None:
            raise Unprocessable(
                "give 'on' or both period_start and period_end", field="period_start"
            )
        return BillingPeriod(period_start=self.period_start, period_end=self.period_end)


def check_period(period: BillingPeriod) -> int:
    days = (period.period_end - period.period_start).days + 1
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise Unprocessable(f"a billing period is 1-{MAX_PERIOD_DAYS} days", field="period_end")
    return days


def _account(store: Store, customer: Customer, currency: str) -> CustomerAccount:
    account_id = customer_account_id(customer.id)
    if exists(store, account_id):
        return load(store, account_id, CustomerAccount, "customer account")
    return CustomerAccount(customer.id, customer.reseller_number, customer.tenant_number, currency)


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
        account = _account(store, customer, reseller.currency)
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


def invoice_view(account: CustomerAccount, invoice_id: str) -> dict[str, Any]:
    invoice = account.invoices[invoice_id]
    return {
        "invoice_id": invoice_id,
        "number": invoice["number"],
        "issued_on": invoice["issued_on"].isoformat(),
        "currency": account.currency,
        "net": str(invoice["net"].amount),
        "tax": str(invoice["tax"].amount),
        "tax_rate": str(invoice["tax_rate"]),
        "total": str(invoice["total"].amount),
        "outstanding": str(invoice["outstanding"].amount),
        "paid": str(invoice["paid"].amount),
        "credited": str(invoice["credited"].amount),
    }


def account_view(account: CustomerAccount, today: date) -> dict[str, Any]:
    return {
        "customer_id": str(account.customer_id),
        "currency": account.currency,
        "outstanding": str(account.outstanding.amount),
        "credit_balance": str(account.credit_balance.amount),
        "balance": str(account.balance.amount),
        "payment_plans": {
            plan_id: [
                {
                    "due_on": i["due_on"].isoformat(),
                    "amount": str(i["amount"].amount),
                    "status": i["status"],
                }
                for i in account.plan_status(plan_id, today)
            ]
            for plan_id in account.plans
        },
        "invoices": [
            invoice_view(account, i)
            for i in sorted(
                account.invoices,
                key=lambda k: (account.invoices[k]["issued_on"], account.invoices[k]["number"]),
            )
        ],
        "version": account.version,
    }


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


# -- payments, credit notes, refunds ----------------------------------------------------------


class CustomerPayment(CommandModel):
    payment_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    amount: Amount = Field(gt=0)
    currency: Currency
    method: Literal["card", "bank_transfer", "cash", "wallet", "crypto"]
    reference: str | None = Field(
        default=None, max_length=100, description="Processor reference; never a card number"
    )
    effective_date: ApiDate | None = None


class FailedPayment(CommandModel):
    payment_id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    amount: Amount = Field(gt=0)
    currency: Currency
    method: Literal["card", "bank_transfer", "cash", "wallet", "crypto"]
    reason: str = Field(min_length=1, max_length=300)


PaymentRef = Field(
    default=None,
    max_length=64,
    pattern=r"^[A-Za-z0-9._:-]+$",
    description="The payment this reverses: inside its holding period its pending commissions "
    "are voided, after it they are clawed back",
)


class CreditNote(CommandModel):
    invoice_id: str = Field(max_length=64)
    net: Amount = Field(gt=0)
    currency: Currency
    reason: str = Field(min_length=1, max_length=300)
    effective_date: ApiDate | None = None
    payment_id: str | None = PaymentRef


class Refund(CommandModel):
    amount: Amount = Field(gt=0)
    currency: Currency
    method: Literal["card", "bank_transfer", "cash", "wallet", "crypto"]
    effective_date: ApiDate | None = None
    payment_id: str | None = PaymentRef


class Chargeback(CommandModel):
    payment_id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    amount: Amount = Field(gt=0)
    currency: Currency
    reason: str = Field(min_length=1, max_length=300)
    effective_date: ApiDate | None = None


def payment_source(account: CustomerAccount, payment_id: str) -> str:
    return f"payment:{account.id}:{payment_id}"


def _commission_reversal(
    store: Store,
    account: CustomerAccount,
    customer: Customer,
    payment_id: str | None,
    amount: Money,
    day: date,
    reversal: str,
) -> list[Aggregate]:
    """Commissions of a reversal: judged against the payment it names, else a clawback."""
    if payment_id is None:
        return list(accrue(store, customer, -amount, day, reversal))
    if payment_id not in account.payments:
        raise NotFound("payment not found", field="payment_id")
    return reverse_payment(
        store, customer, payment_source(account, payment_id), amount, day, reversal
    )


CARD_NUMBER_DIGITS = 13


def _refuse_card_numbers(reference: str | None) -> None:
    digits = "".join(c for c in reference or "" if c.isdigit())
    if len(digits) >= CARD_NUMBER_DIGITS:
        raise Unprocessable(
            "references must not hold card numbers; send the processor's token", field="reference"
        )


def _customer_money_command(
    store: Store,
    context: RequestContext,
    customer_id: UUID,
    permission: Permission,
    act: Any,
    name: str,
    request: Any,
    status: int = 200,
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(permission)
        reseller = load(store, reseller_id(customer.reseller_number), Reseller, "reseller")
        account = _account(store, customer, reseller.currency)
        result = act(account, customer, reseller) or {}
        extra, more = result if isinstance(result, tuple) else (result, [])
        body = account_view(account, context.received_at.date()) | extra
        return Outcome(
            [account, *more], body, customer.tenant_number, customer.reseller_number, status
        )

    return run_command(store, context, handle, fingerprint(name, customer_id, request))


def record_customer_payment(
    store: Store, context: RequestContext, customer_id: UUID, command: CustomerPayment
) -> CommandResult:
    _refuse_card_numbers(command.reference)
    amount = money(command.amount, command.currency)
    payment_id = command.payment_id or str(uuid.uuid5(uuid.NAMESPACE_URL, context.request_id))

    def act(
        account: CustomerAccount, customer: Customer, reseller: Reseller
    ) -> tuple[dict[str, Any], Sequence[Aggregate]]:
        day = effective_date(command.effective_date, context, reseller)
        if (
            command.method == "crypto"
            and not load_payment_settings(store, reseller).crypto_payments_enabled
        ):
            raise Unprocessable("cryptocurrency payments are not enabled", field="method")
        credit_account = load(
            store, credit_account_id(customer.reseller_number), CreditAccount, "credit account"
        )
        action = credit_account.action_for("payments", context.received_at)
        handling = {"continue": "normal", "review": "review", "escalate": "escalated"}[action]
        account.receive_payment(
            payment_id, amount, command.method, command.reference, day, handling
        )
        commissions, basis = accrue_payment(
            store,
            customer,
            amount,
            day,
            payment_source(account, payment_id),
            recorded_on=context.received_at.date(),
        )
        body = {
            "payment_id": payment_id,
            "handling": handling,
            "commissions": [str(c.id) for c in commissions],
        }
        return body, [*commissions, basis]

    return _customer_money_command(
        store,
        context,
        customer_id,
        Permission.PAYMENT_PROCESS,
        act,
        "customer_payment",
        command.model_dump(mode="json"),
        201,
    )


def record_failed_payment(
    store: Store, context: RequestContext, customer_id: UUID, command: FailedPayment
) -> CommandResult:
    amount = money(command.amount, command.currency)

    def act(account: CustomerAccount, customer: Customer, reseller: Reseller) -> dict[str, Any]:
        attempt = account.payment_failed(command.payment_id, amount, command.method, command.reason)
        return {
            "payment_id": command.payment_id,
            "attempt": attempt,
            "retry_after_days": [1, 3, 7][min(attempt, 3) - 1] if attempt <= 3 else None,
        }

    return _customer_money_command(
        store,
        context,
        customer_id,
        Permission.PAYMENT_PROCESS,
        act,
        "failed_payment",
        command.model_dump(mode="json"),
    )


def issue_credit_note(
    store: Store, context: RequestContext, customer_id: UUID, command: CreditNote
) -> CommandResult:
    net = money(command.net, command.currency, "net")
    note_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"credit-note:{context.request_id}"))

    def act(
        account: CustomerAccount, customer: Customer, reseller: Reseller
    ) -> tuple[dict[str, Any], Sequence[Aggregate]]:
        day = effective_date(command.effective_date, context, reseller)
        if command.invoice_id not in account.invoices:
            raise NotFound("invoice not found", field="invoice_id")
        total = account.issue_credit_note(note_id, command.invoice_id, net, command.reason, day)
        changed = _commission_reversal(
            store, account, customer, command.payment_id, total, day, f"credit-note:{note_id}"
        )
        return {"credit_note_id": note_id, "credited_total": str(total.amount)}, changed

    return _customer_money_command(
        store,
        context,
        customer_id,
        Permission.BILLING_MANAGE,
        act,
        "credit_note",
        command.model_dump(mode="json"),
        201,
    )


def issue_refund(
    store: Store, context: RequestContext, customer_id: UUID, command: Refund
) -> CommandResult:
    amount = money(command.amount, command.currency)
    refund_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"refund:{context.request_id}"))

    def act(
        account: CustomerAccount, customer: Customer, reseller: Reseller
    ) -> tuple[dict[str, Any], Sequence[Aggregate]]:
        day = effective_date(command.effective_date, context, reseller)
        account.refund(refund_id, amount, command.method, day)
        return {"refund_id": refund_id}, _commission_reversal(
            store, account, customer, command.payment_id, amount, day, f"refund:{refund_id}"
        )

    return _customer_money_command(
        store,
        context,
        customer_id,
        Permission.BILLING_MANAGE,
        act,
        "refund",
        command.model_dump(mode="json"),
        201,
    )


def record_chargeback(
    store: Store, context: RequestContext, customer_id: UUID, command: Chargeback
) -> CommandResult:
    """The payer's bank took a payment back: cash leaves, and the payment's commissions are
    voided (inside its holding period) or clawed back (after it)."""
    amount = money(command.amount, command.currency)
    chargeback_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"chargeback:{context.request_id}"))

    def act(
        account: CustomerAccount, customer: Customer, reseller: Reseller
    ) -> tuple[dict[str, Any], Sequence[Aggregate]]:
        day = effective_date(command.effective_date, context, reseller)
        account.charge_back(chargeback_id, command.payment_id, amount, command.reason, day)
        changed = _commission_reversal(
            store, account, customer, command.payment_id, amount, day, f"chargeback:{chargeback_id}"
        )
        return {"chargeback_id": chargeback_id, "payment_id": command.payment_id}, changed

    return _customer_money_command(
        store,
        context,
        customer_id,
        Permission.BILLING_MANAGE,
        act,
        "chargeback",
        command.model_dump(mode="json"),
        201,
    )


def customer_account(store: Store, context: RequestContext, customer_id: UUID) -> dict[str, Any]:
    customer = load_customer_in_scope(store, context, customer_id)
    context.principal.require(Permission.BILLING_VIEW)
    account_id = customer_account_id(customer.id)
    if not exists(store, account_id):
        return {
            "customer_id": str(customer.id),
            "invoices": [],
            "outstanding": "0",
            "credit_balance": "0",
            "balance": "0",
        }
    account = load(store, account_id, CustomerAccount, "customer account")
    return account_view(account, context.received_at.date())


# -- accounting periods -----------------------------------------------------------------------


class CloseBooks(CommandModel):
    through: ApiDate = Field(description="The last day of the period to close")


def close_books(
    store: Store, context: RequestContext, command: CloseBooks, reseller_number: int | None
) -> CommandResult:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        try:
            reseller.close_books(command.through, context.received_at.date())
        except DomainError as error:
            raise Unprocessable(str(error), field=error.field) from None
        body = {"reseller_id": number, "books_closed_through": command.through.isoformat()}
        return Outcome([reseller], body, reseller.root_number, number)

    return run_command(store, context, handle, fingerprint("close_books", number, command.through))


def month_of(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


class SetBillingCycle(CommandModel):
    billing_day: int = Field(ge=1, le=28, description="Day of the month each period starts")


def set_billing_cycle(
    store: Store, context: RequestContext, customer_id: UUID, command: SetBillingCycle
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.BILLING_MANAGE)
        customer.set_billing_cycle(command.billing_day)
        start, end = cycle_period(customer.billing_day, context.received_at.date())
        body = {
            "customer_id": str(customer.id),
            "billing_day": customer.billing_day,
            "current_period": {"start": start.isoformat(), "end": end.isoformat()},
        }
        return Outcome([customer], body, customer.tenant_number, customer.reseller_number)

    return run_command(
        store, context, handle, fingerprint("billing_cycle", customer_id, command.billing_day)
    )


class PaymentPlan(CommandModel):
    invoice_ids: list[str] = Field(min_length=1, max_length=50)
    installments: int = Field(ge=2, le=24)
    first_due_on: ApiDate
    interval_days: int = Field(default=30, ge=7, le=92)


def agree_payment_plan(
    store: Store, context: RequestContext, customer_id: UUID, command: PaymentPlan
) -> CommandResult:
    plan_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"plan:{context.request_id}"))

    def act(account: CustomerAccount, customer: Customer, reseller: Reseller) -> dict[str, Any]:
        if command.first_due_on < context.received_at.date():
            raise Unprocessable("first_due_on cannot be in the past", field="first_due_on")
        account.agree_payment_plan(
            plan_id,
            command.invoice_ids,
            command.installments,
            command.first_due_on,
            command.interval_days,
        )
        return {"plan_id": plan_id}

    return _customer_money_command(
        store,
        context,
        customer_id,
        Permission.BILLING_MANAGE,
        act,
        "payment_plan",
        command.model_dump(mode="json"),
        201,
    )


class PaymentSettings(CommandModel):
    crypto_payments_enabled: bool


def change_payment_settings(
    store: Store, context: RequestContext, command: PaymentSettings, reseller_number: int | None
) -> CommandResult:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        settings = load_payment_settings(store, reseller)
        changed = settings.change(command.crypto_payments_enabled)
        body = {"reseller_id": number, "crypto_payments_enabled": settings.crypto_payments_enabled}
        # Unchanged settings that are only carried over stay unsaved.
        return Outcome([settings] if changed else [], body, reseller.root_number, number)

    return run_command(
        store, context, handle, fingerprint("payment_settings", number, command.model_dump())
    )
