"""The reseller's credit account: wholesale charges (ISP) and payments (ISP or reseller admin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from commands.errors import Forbidden, Unprocessable
from commands.models import (
    Amount,
    ApiDate,
    AwareDatetime,
    CommandModel,
    Currency,
    PlainDecimal,
    money,
)
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access.roles import Permission
from domain.credit.credit_account import CreditAccount, credit_account_id, payment_method_refusal
from domain.partners.reseller import Reseller, reseller_id


class RecordCharge(CommandModel):
    amount: Amount = Field(gt=0, examples=["120.00"])
    currency: Currency
    description: str = Field(min_length=1, max_length=500, examples=["Wholesale bandwidth, Jan"])
    reference: str | None = Field(default=None, max_length=100)
    effective_date: ApiDate | None = Field(
        default=None, description="Business date of the charge; today when absent"
    )


class RecordPayment(CommandModel):
    amount: Amount = Field(gt=0, examples=["50.00"])
    currency: Currency
    method: Literal["bank_transfer", "card", "cash", "wallet", "crypto", "offset"]
    reference: str | None = Field(default=None, max_length=100)
    effective_date: ApiDate | None = None


def credit_account_view(account: CreditAccount, now: datetime) -> dict[str, Any]:
    utilization = account.utilization(now)
    emergency = account.emergency
    return {
        "reseller_id": account.reseller_number,
        "currency": account.currency,
        "credit_limit": str(account.credit_limit.amount),
        "effective_limit": str(account.effective_limit(now).amount),
        "balance": str(account.balance.amount),
        "charged_total": str(account.charged_total.amount),
        "paid_total": str(account.paid_total.amount),
        "available": str(account.available(now).amount),
        "utilization": None if utilization is None else str(utilization),
        "state": account.state(now),
        "alerts": account.alerted,
        "policy": {
            "warning_pct": str(account.warning_pct),
            "restriction_pct": str(account.restriction_pct),
            **account.actions,
            "payment_terms_days": account.payment_terms_days,
        },
        "emergency_credit": None
        if emergency is None
        else {
            "amount": str(emergency["amount"].amount),
            "expires_at": emergency["expires_at"].isoformat(),
            "active": now < emergency["expires_at"],
        },
        "collections": _collections(account, now),
        "version": account.version,
    }


def _collections(account: CreditAccount, now: datetime) -> dict[str, Any] | None:
    stage = account.collection_stage(now.date())
    if stage is None:
        return None
    return {**stage, "oldest_due_on": stage["oldest_due_on"].isoformat()}


def effective_date(
    requested: date | None,
    context: RequestContext,
    reseller: Reseller,
    field: str = "effective_date",
) -> date:
    """The business date of a money event: today by default, never in the future, never before
    the reseller's first business date, never in a closed accounting period (backdating is
    explicit and recorded with the actor)."""
    today = context.received_at.date()
    if requested is None:
        requested = today
    refusal = reseller.business_date_refusal(requested, today)
    if refusal is not None:
        raise Unprocessable(f"{field} {refusal}", field=field)
    return requested


def _outcome(account: CreditAccount, now: datetime, status: int = 200) -> Outcome:
    view = credit_account_view(account, now)
    return Outcome([account], view, account.tenant_number, account.reseller_number, status)


def _load_account(store: Store, context: RequestContext, reseller_number: int) -> CreditAccount:
    number = context.principal.reseller_in_scope(reseller_number)
    return load(store, credit_account_id(number), CreditAccount, "credit account")


def record_charge(
    store: Store, context: RequestContext, reseller_number: int, command: RecordCharge
) -> CommandResult:
    context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.CREDIT_CHARGE)
    amount = money(command.amount, command.currency)
    now = context.received_at

    def handle() -> Outcome:
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        effective = effective_date(command.effective_date, context, reseller)
        account = _load_account(store, context, reseller_number)
        account.record_charge(amount, command.description, command.reference, effective, now)
        return _outcome(account, now)

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
    refusal = payment_method_refusal(command.method, context.principal.is_isp_admin)
    if refusal is not None:
        raise Forbidden(refusal, field="method")
    amount = money(command.amount, command.currency)
    now = context.received_at

    def handle() -> Outcome:
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        effective = effective_date(command.effective_date, context, reseller)
        account = _load_account(store, context, reseller_number)
        account.record_payment(amount, command.method, command.reference, effective, now)
        return _outcome(account, now)

    return run_command(
        store,
        context,
        handle,
        fingerprint("record_payment", reseller_number, command.model_dump(mode="json")),
    )


class ChangeCreditPolicy(CommandModel):
    """Seed §5.4: thresholds within their ranges and the actions at 100% utilization."""

    warning_pct: PlainDecimal | None = Field(default=None, ge=50, le=95)
    restriction_pct: PlainDecimal | None = Field(default=None, ge=75, le=99)
    new_customers: Literal["suspend", "require_approval", "continue"] | None = None
    existing_services: Literal["continue", "review", "restrict"] | None = None
    payments: Literal["continue", "review", "escalate"] | None = None
    payment_terms_days: Literal[0, 7, 15, 30, 45, 60] | None = None


class RequestEmergencyCredit(CommandModel):
    amount: Amount = Field(gt=0)
    currency: Currency
    reason: str = Field(min_length=1, max_length=500)


class RequestLimitIncrease(CommandModel):
    new_limit: Amount = Field(gt=0)
    currency: Currency
    kind: Literal["temporary", "permanent"]
    until: AwareDatetime | None = None
    justification: str = Field(min_length=1, max_length=500)


class Decision(CommandModel):
    approved: bool
    note: str | None = Field(default=None, max_length=500)


def _account_command(
    store: Store,
    context: RequestContext,
    reseller_number: int,
    permission: Permission,
    act: Callable[[CreditAccount], object],
    name: str,
    request: Any,
    status: int = 200,
) -> CommandResult:
    context.principal.reseller_in_scope(reseller_number)
    context.principal.require(permission)
    now = context.received_at

    def handle() -> Outcome:
        account = _load_account(store, context, reseller_number)
        act(account)
        return _outcome(account, now, status)

    return run_command(store, context, handle, fingerprint(name, reseller_number, request))


def change_credit_policy(
    store: Store, context: RequestContext, reseller_number: int, command: ChangeCreditPolicy
) -> CommandResult:
    changes = command.model_dump(exclude_none=True)
    return _account_command(
        store,
        context,
        reseller_number,
        Permission.BILLING_MANAGE,
        lambda account: account.change_policy(context.received_at, **changes),
        "credit_policy",
        command.model_dump(mode="json"),
    )


def request_emergency_credit(
    store: Store, context: RequestContext, reseller_number: int, command: RequestEmergencyCredit
) -> CommandResult:
    amount = money(command.amount, command.currency)
    request_id = fingerprint("emergency", reseller_number, context.request_id)[:16]
    return _account_command(
        store,
        context,
        reseller_number,
        Permission.BILLING_MANAGE,
        lambda account: account.request_emergency_credit(request_id, amount, command.reason),
        "emergency_request",
        command.model_dump(mode="json"),
        201,
    )


def grant_emergency_credit(
    store: Store, context: RequestContext, reseller_number: int, request_id: str
) -> CommandResult:
    level = context.principal.role.value
    return _account_command(
        store,
        context,
        reseller_number,
        Permission.CREDIT_CHARGE,
        lambda account: account.grant_emergency_credit(request_id, context.received_at, level),
        "emergency_grant",
        request_id,
    )


def expire_emergency_credit(
    store: Store, context: RequestContext, reseller_number: int
) -> CommandResult:
    """Record a due expiry (the scheduled job calls this; a second call changes nothing)."""
    return _account_command(
        store,
        context,
        reseller_number,
        Permission.CREDIT_CHARGE,
        lambda account: account.expire_emergency_credit(context.received_at),
        "emergency_expire",
        context.received_at.isoformat(),
    )


def request_limit_increase(
    store: Store, context: RequestContext, reseller_number: int, command: RequestLimitIncrease
) -> CommandResult:
    new_limit = money(command.new_limit, command.currency, field="new_limit")
    request_id = fingerprint("increase", reseller_number, context.request_id)[:16]
    return _account_command(
        store,
        context,
        reseller_number,
        Permission.BILLING_MANAGE,
        lambda account: account.request_limit_increase(
            request_id,
            new_limit,
            command.kind,
            command.until,
            command.justification,
            context.received_at,
        ),
        "increase_request",
        command.model_dump(mode="json"),
        201,
    )


def decide_limit_increase(
    store: Store,
    context: RequestContext,
    reseller_number: int,
    request_id: str,
    command: Decision,
) -> CommandResult:
    return _account_command(
        store,
        context,
        reseller_number,
        Permission.CREDIT_CHARGE,
        lambda account: account.decide_limit_increase(
            request_id, command.approved, command.note, context.received_at
        ),
        "increase_decision",
        [request_id, command.model_dump(mode="json")],
    )


def credit_account_now(
    store: Store, context: RequestContext, reseller_number: int | None
) -> dict[str, Any]:
    """The account as of this request's instant, straight from its events."""
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.CREDIT_VIEW)
    account = load(store, credit_account_id(number), CreditAccount, "credit account")
    view = credit_account_view(account, context.received_at)
    view["open_charges"] = [
        {
            "charge_id": c["charge_id"],
            "effective_date": c["effective_date"].isoformat(),
            "due_on": c["due_on"].isoformat(),
            "outstanding": str(c["outstanding"].amount),
        }
        for c in sorted(account.open_charges.values(), key=lambda c: c["effective_date"])
    ]
    view["emergency_requests"] = {
        k: {"amount": str(v["amount"].amount), "status": v["status"]}
        for k, v in account.emergency_requests.items()
    }
    view["limit_increase_requests"] = {
        k: {
            "new_limit": str(v["new_limit"].amount),
            "kind": v["kind"],
            "status": v["status"],
            "until": v["until"].isoformat() if v["until"] else None,
        }
        for k, v in account.increase_requests.items()
    }
    return view
