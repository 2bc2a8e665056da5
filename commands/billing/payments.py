"""Customer payments (applied oldest invoice first) and failed payments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.billing.accounts import (
    customer_money_command,
    payment_source,
)
from commands.commissions.accrual import accrue_payment
from commands.credit.credit_account import effective_date
from commands.errors import Unprocessable
from commands.models import Amount, ApiDate, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Store
from commands.store_access import load
from domain.access.roles import Permission
from domain.billing.customer_account import (
    CustomerAccount,
)
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.customers.customer import Customer
from domain.partners.reseller import Reseller


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


CARD_NUMBER_DIGITS = 13


def _refuse_card_numbers(reference: str | None) -> None:
    digits = "".join(c for c in reference or "" if c.isdigit())
    if len(digits) >= CARD_NUMBER_DIGITS:
        raise Unprocessable(
            "references must not hold card numbers; send the processor's token", field="reference"
        )


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
        if command.method == "crypto" and not reseller.crypto_payments_enabled:
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

    return customer_money_command(
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

    return customer_money_command(
        store,
        context,
        customer_id,
        Permission.PAYMENT_PROCESS,
        act,
        "failed_payment",
        command.model_dump(mode="json"),
    )
