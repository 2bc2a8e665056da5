"""The reseller's credit account: wholesale charges (ISP) and payments (ISP or reseller admin)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from commands.errors import Unprocessable
from commands.models import Amount, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access import Permission
from domain.credit_account import CreditAccount, credit_account_id


class RecordCharge(CommandModel):
    amount: Amount = Field(gt=0, examples=["120.00"])
    currency: Currency
    description: str = Field(min_length=1, max_length=500, examples=["Wholesale bandwidth, Jan"])
    reference: str | None = Field(default=None, max_length=100)
    effective_date: date | None = Field(
        default=None, description="Business date of the charge; today when absent"
    )


class RecordPayment(CommandModel):
    amount: Amount = Field(gt=0, examples=["50.00"])
    currency: Currency
    method: Literal["bank_transfer", "card", "cash", "wallet", "crypto", "offset"]
    reference: str | None = Field(default=None, max_length=100)
    effective_date: date | None = None


def credit_account_view(account: CreditAccount) -> dict[str, Any]:
    utilization = account.utilization
    return {
        "reseller_id": account.reseller_number,
        "currency": account.currency,
        "credit_limit": str(account.credit_limit.amount),
        "balance": str(account.balance.amount),
        "available": str(account.available.amount),
        "utilization": None if utilization is None else str(utilization),
        "version": account.version,
    }


def _effective_date(requested: date | None, context: RequestContext) -> date:
    today = context.received_at.date()
    if requested is None:
        return today
    if requested > today:
        raise Unprocessable("effective_date cannot be in the future", field="effective_date")
    return requested


def _load_account(store: Store, context: RequestContext, reseller_number: int) -> CreditAccount:
    number = context.principal.reseller_in_scope(reseller_number)
    return load(store, credit_account_id(number), CreditAccount, "credit account")


def record_charge(
    store: Store, context: RequestContext, reseller_number: int, command: RecordCharge
) -> CommandResult:
    context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.CREDIT_CHARGE)
    amount = money(command.amount, command.currency)
    effective = _effective_date(command.effective_date, context)

    def handle() -> Outcome:
        account = _load_account(store, context, reseller_number)
        account.record_charge(amount, command.description, command.reference, effective)
        return Outcome(
            [account], credit_account_view(account), account.tenant_number, account.reseller_number
        )

    return run_command(
        store,
        context,
        handle,
        fingerprint("record_charge", reseller_number, command.model_dump(mode="json")),
    )


def record_payment(
    store: Store, context: RequestContext, reseller_number: int, command: RecordPayment
) -> CommandResult:
    context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.CREDIT_PAYMENT)
    amount = money(command.amount, command.currency)
    effective = _effective_date(command.effective_date, context)

    def handle() -> Outcome:
        account = _load_account(store, context, reseller_number)
        account.record_payment(amount, command.method, command.reference, effective)
        return Outcome(
            [account], credit_account_view(account), account.tenant_number, account.reseller_number
        )

    return run_command(
        store,
        context,
        handle,
        fingerprint("record_payment", reseller_number, command.model_dump(mode="json")),
    )
