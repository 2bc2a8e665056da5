"""Corrections of what a customer owes or paid: credit notes, refunds and chargebacks, and
the commissions each one reverses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.billing.accounts import (
    customer_money_command,
    payment_source,
)
from commands.commissions.accrual import accrue, reverse_payment
from commands.credit.credit_account import effective_date
from commands.errors import NotFound
from commands.models import Amount, ApiDate, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Store
from domain.access.roles import Permission
from domain.billing.customer_account import (
    CustomerAccount,
)
from domain.customers.customer import Customer
from domain.ledger.money import Money
from domain.partners.reseller import Reseller

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

    return customer_money_command(
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

    return customer_money_command(
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

    return customer_money_command(
        store,
        context,
        customer_id,
        Permission.BILLING_MANAGE,
        act,
        "chargeback",
        command.model_dump(mode="json"),
        201,
    )
