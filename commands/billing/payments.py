"""Customer payments (applied oldest invoice first) and failed payments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.billing.accounts import customer_money_command, payment_source
from commands.billing.payment_settings import load_payment_settings
from commands.commissions.accrual import accrue_payment
from commands.credit.credit_account import effective_date
from commands.errors import from_domain
from commands.models import Amount, ApiDate, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Store
from commands.store_access import load
from domain.access.roles import Permission
from domain.billing.customer_account import CustomerAccount
from domain.billing.dunning import retry_after_days
from domain.billing.payment_rules import check_method_enabled, check_reference, payment_handling
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.customers.customer import Customer
from domain.ledger.errors import DomainError
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


def _refuse_card_numbers(reference: str | None) -> None:
    # Checked before the command runs, outside the runner that translates domain refusals, so
    # the refusal is translated here.
    try:
        check_reference(reference)
    except DomainError as error:
        raise from_domain(error) from None


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
        settings = load_payment_settings(store, reseller)
        check_method_enabled(command.method, settings.crypto_payments_enabled)
        credit_account = load(
            store, credit_account_id(customer.reseller_number), CreditAccount, "credit account"
        )
        action = credit_account.action_for("payments", context.received_at)
        handling = payment_handling(action)
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
            "retry_after_days": retry_after_days(attempt),
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
