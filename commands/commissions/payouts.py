"""Commission payouts (seed §5.3): the schedule, the tax profile, FX rates, and the cycle's
steps (statement, payment, confirmation), each one idempotent command.

Who may do what: a reseller's admins (billing_manage) and the master ISP set the payout
schedule and the tax profile; only the ISP may change `backup_withholding` (a payee must not
switch its own withholding off); only the ISP records FX rates (reseller_manage). The cycle
steps run as the jobs' ISP principal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.errors import Forbidden, NotFound
from commands.models import Amount, AwareDatetime, CommandModel, Currency, PlainDecimal, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load, load_or_carried_over
from domain.access.roles import Permission
from domain.catalogue.tariffs import Counter
from domain.commissions.payout_calendar import (
    STATEMENT_LAST_DAY,
    cycle_of,
    is_payment_month,
    parse_cycle,
)
from domain.commissions.payout_settlement import (
    below_threshold,
    credit_to_net,
    reverse_charge_applies,
    settle,
    vat_country,
)
from domain.commissions.payouts import Payout, PayoutAccount, payout_account_id, payout_id
from domain.commissions.records import Commission
from domain.commissions.tax_profile import TaxProfile, tax_profile_id
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.ledger.calendar import WEEKENDS_ONLY, BusinessCalendar, calendar_for
from domain.ledger.errors import DomainError
from domain.ledger.fx import FxRateBook, fx_book_id
from domain.ledger.money import Money
from domain.ledger.personal import reveal
from domain.ledger.tax import standard_rate
from domain.partners.reseller import Reseller, reseller_id

ISP_TENANT = 0


@dataclass(frozen=True, slots=True)
class PayoutPolicy:
    """ISP-wide settings the payout applies (LEDGER_ISP_COUNTRY, LEDGER_FX_MAX_AGE_HOURS)."""

    isp_country: str = "NG"
    fx_max_age: timedelta = timedelta(hours=72)
    holiday_calendars: bool = False
    """Count the dispute window and payment date on the reseller's country's holidays too
    (LEDGER_BUSINESS_DAY_HOLIDAYS); off, weekends only, as every recorded date so far."""

    def calendar_for(self, reseller: Reseller) -> BusinessCalendar:
        return calendar_for(reseller.country) if self.holiday_calendars else WEEKENDS_ONLY


class SetPayoutSchedule(CommandModel):
    """Seed §5.3: frequency, processing day 1-28, minimum threshold 50-1000 in the reseller's
    currency, payment method and currency, and whether to net against the credit account."""

    frequency: Literal["monthly", "quarterly", "bi-annual", "annual"] = "monthly"
    processing_day: int = Field(default=15, ge=1, le=28)
    minimum_threshold: Amount = Field(default=Decimal(50), ge=50, le=1000, examples=["50.00"])
    payment_method: Literal["bank_transfer", "wire", "check", "digital_wallet"] = "bank_transfer"
    payment_currency: Currency | None = Field(
        default=None, description="The currency paid out; the reseller's own when absent"
    )
    net_against_credit: bool = False


class SetTaxProfile(CommandModel):
    legal_name: str = Field(min_length=1, max_length=200, examples=["ABC Internet Services Ltd"])
    address: str = Field(min_length=1, max_length=500, examples=["1 Marina, Lagos"])
    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$", examples=["NG"])
    vat_id: str | None = Field(default=None, min_length=4, max_length=20)
    tin: str | None = Field(default=None, min_length=9, max_length=11)
    backup_withholding: bool | None = Field(
        default=None, description="US backup withholding (24%); only the ISP may change it"
    )


class RecordFxRate(CommandModel):
    base: Currency
    quote: Currency
    rate: PlainDecimal = Field(gt=0, allow_inf_nan=False, max_digits=24, examples=["0.00065"])
    as_of: AwareDatetime | None = Field(default=None, description="Valid from; now when absent")


# -- views ----------------------------------------------------------------------------------


def schedule_view(account: PayoutAccount) -> dict[str, Any]:
    return {
        "reseller_id": account.reseller_number,
        "frequency": account.frequency,
        "processing_day": account.processing_day,
        "minimum_threshold": str(account.minimum_threshold.amount),
        "currency": account.currency,
        "payment_method": account.payment_method,
        "payment_currency": account.payment_currency,
        "net_against_credit": account.net_against_credit,
        "carried_forward": str(account.carried_forward.amount),
        "last_cycle": account.last_cycle,
        "open_cycle": account.open_cycle,
    }


def tax_profile_view(profile: TaxProfile) -> dict[str, Any]:
    facts = profile.facts()
    tin = reveal(facts["tin"])
    return {
        "reseller_id": profile.reseller_number,
        "legal_name": facts["legal_name"],
        "address": facts["address"],
        "country": facts["country"],
        "vat_id": facts["vat_id"],
        "tin_last4": None if tin is None else tin[-4:],
        "backup_withholding": facts["backup_withholding"],
        "set": profile.profile is not None,
    }


def payout_view(payout: Payout) -> dict[str, Any]:
    return {
        "payout_id": str(payout.id),
        "reseller_id": payout.reseller_number,
        "cycle": payout.cycle,
        "status": payout.status,
        "pay_on": payout.pay_on.isoformat(),
        "total": str(payout.total.amount),
        "currency": payout.currency,
        "records": len(payout.lines),
        "reference": payout.reference,
    }


# -- schedule and tax profile ---------------------------------------------------------------


def _reseller(store: Store, number: int) -> Reseller:
    return load(store, reseller_id(number), Reseller, "reseller")


def _tax_profile(store: Store, reseller: Reseller) -> TaxProfile:
    """The stored tax profile, else the one the reseller's legacy events left (unsaved)."""
    return load_or_carried_over(
        store,
        tax_profile_id(reseller.number),
        TaxProfile,
        lambda: TaxProfile.carried_over(reseller),
    )


def _payout_account(store: Store, reseller: Reseller) -> PayoutAccount:
    account_id = payout_account_id(reseller.number)
    if exists(store, account_id):
        return load(store, account_id, PayoutAccount, "payout account")
    return PayoutAccount(reseller_number=reseller.number, currency=reseller.currency)


def get_payout_schedule(
    store: Store, context: RequestContext, reseller_number: int | None
) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_VIEW)
    return schedule_view(_payout_account(store, _reseller(store, number)))


def set_payout_schedule(
    store: Store, context: RequestContext, reseller_number: int | None, command: SetPayoutSchedule
) -> CommandResult:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_MANAGE)

    def handle() -> Outcome:
        reseller = _reseller(store, number)
        account = _payout_account(store, reseller)
        threshold = money(command.minimum_threshold, reseller.currency, "minimum_threshold")
        account.set_schedule(
            command.frequency,
            command.processing_day,
            threshold,
            command.payment_method,
            command.payment_currency or reseller.currency,
            command.net_against_credit,
        )
        return Outcome([account], schedule_view(account), reseller.root_number, number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("payout_schedule", number, command.model_dump(mode="json")),
    )


def get_tax_profile(
    store: Store, context: RequestContext, reseller_number: int | None
) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_VIEW)
    return tax_profile_view(_tax_profile(store, _reseller(store, number)))


def set_tax_profile(
    store: Store, context: RequestContext, reseller_number: int | None, command: SetTaxProfile
) -> CommandResult:
    principal = context.principal
    number = principal.reseller_in_scope(reseller_number)
    principal.require(Permission.BILLING_MANAGE)

    def handle() -> Outcome:
        reseller = _reseller(store, number)
        profile = _tax_profile(store, reseller)
        current = bool(profile.facts()["backup_withholding"])
        wanted = current if command.backup_withholding is None else command.backup_withholding
        if wanted != current and not principal.holds(Permission.RESELLER_MANAGE):
            raise Forbidden("only the master ISP changes backup_withholding", "backup_withholding")
        profile.set(
            command.legal_name,
            command.address,
            command.country,
            command.vat_id,
            command.tin,
            wanted,
        )
        return Outcome([profile], tax_profile_view(profile), reseller.root_number, number)

    return run_command(
        store, context, handle, fingerprint("tax_profile", number, command.model_dump(mode="json"))
    )


# -- FX rates -------------------------------------------------------------------------------


def record_fx_rate(store: Store, context: RequestContext, command: RecordFxRate) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)
    now = context.received_at
    as_of = command.as_of or now

    def handle() -> Outcome:
        book_id = fx_book_id(command.base, command.quote)
        if exists(store, book_id):
            book = load(store, book_id, FxRateBook, "fx rates")
        else:
            book = FxRateBook.open(command.base, command.quote)
        book.record(command.rate, as_of, now)
        body = {
            "base": book.base,
            "quote": book.quote,
            "rate": str(command.rate),
            "as_of": as_of.isoformat(),
            "recorded_at": now.isoformat(),
        }
        return Outcome([book], body, ISP_TENANT, None, 201)

    return run_command(
        store, context, handle, fingerprint("fx_rate", command.model_dump(mode="json"))
    )


def rate_for_payment(
    store: Store, base: str, quote: str, instant: datetime, max_age: timedelta
) -> dict[str, Any]:
    """The recorded rate for a payment at `instant`; refused when none is fresh enough."""
    book_id = fx_book_id(base, quote)
    found = None
    if exists(store, book_id):
        found = load(store, book_id, FxRateBook, "fx rates").rate_at(instant)
    if found is None:
        raise DomainError(f"no {base}/{quote} rate recorded before the payment", field="fx_rate")
    if instant - found["as_of"] > max_age:
        raise DomainError(
            f"the latest {base}/{quote} rate (as of {found['as_of'].isoformat()}) is stale",
            field="fx_rate",
        )
    return found


# -- the cycle ------------------------------------------------------------------------------


def _isp_only(context: RequestContext, number: int) -> None:
    context.principal.reseller_in_scope(number)
    context.principal.require(Permission.RESELLER_MANAGE)


def prepare_statement(
    store: Store,
    context: RequestContext,
    reseller_number: int,
    cycle: str,
    candidates: Sequence[UUID],
    policy: PayoutPolicy | None = None,
) -> CommandResult:
    """The cycle statement over those candidates still approved (candidates usually come from
    a read model; each record's own state decides). A statement made already is left alone."""
    calendar_of = (policy or PayoutPolicy()).calendar_for
    _isp_only(context, reseller_number)

    def handle() -> Outcome:
        reseller = _reseller(store, reseller_number)
        existing = payout_id(reseller_number, cycle)
        if exists(store, existing):
            payout = load(store, existing, Payout, "payout")
            return Outcome([], payout_view(payout), reseller.root_number, reseller_number)
        account = _payout_account(store, reseller)
        if account.open_cycle is not None:
            raise DomainError(f"cycle {account.open_cycle} is still open", field="period")
        records = []
        for commission_id in dict.fromkeys(candidates):
            record = load(store, commission_id, Commission, "commission")
            if (
                record.status == "approved"
                and record.reseller_number == reseller_number
                and record.commission_amount.currency == reseller.currency
            ):
                records.append((record.id, record.commission_type, record.commission_amount))
        if not records:
            body = {"reseller_id": reseller_number, "cycle": cycle, "status": "nothing_to_pay"}
            return Outcome([], body, reseller.root_number, reseller_number)
        payout = Payout.prepare(account, cycle, records, context.received_at, calendar_of(reseller))
        account.open_cycle_for(cycle)
        return Outcome(
            [account, payout], payout_view(payout), reseller.root_number, reseller_number, 201
        )

    return run_command(
        store, context, handle, fingerprint("payout_statement", reseller_number, cycle)
    )


def pay_payout(
    store: Store,
    context: RequestContext,
    reseller_number: int,
    cycle: str,
    policy: PayoutPolicy,
) -> CommandResult:
    """Pay a due statement (or carry it forward below the threshold), in one append: the
    payout with its journal entry, every record paid, the credit account's offset, the
    self-billing invoice number, and the schedule's cycle closed."""
    _isp_only(context, reseller_number)
    now = context.received_at

    def handle() -> Outcome:
        reseller = _reseller(store, reseller_number)
        payout = load(store, payout_id(reseller_number, cycle), Payout, "payout")
        if payout.status != "statement":  # paid or carried already (a rerun, or a race lost)
            return Outcome([], payout_view(payout), reseller.root_number, reseller_number)
        account = _payout_account(store, reseller)
        changed: list[Aggregate] = [payout, account]
        included: list[Commission] = []
        excluded: list[str] = []
        for commission_id in payout.commission_ids:
            record = load(store, commission_id, Commission, "commission")
            if record.status == "approved":
                included.append(record)
            else:
                excluded.append(str(commission_id))  # disputed or voided since the statement
        ids = [str(r.id) for r in included]
        gross = sum((r.commission_amount for r in included), Money.zero(reseller.currency))
        threshold: Money = payout.schedule["minimum_threshold"]
        if below_threshold(gross, threshold):
            payout.carry_forward(now, ids, excluded, gross)
            account.close_cycle(cycle, "carried_forward", gross, ids)
            return Outcome(changed, payout_view(payout), reseller.root_number, reseller_number)

        facts = _tax_profile(store, reseller).facts()
        reverse_charge = reverse_charge_applies(
            facts["country"], facts["vat_id"], policy.isp_country
        )
        charged_country = vat_country(facts["country"], reverse_charge, policy.isp_country)
        owed = Money.zero(reseller.currency)
        credit_account = None
        if payout.schedule["net_against_credit"]:
            credit_account = load(
                store, credit_account_id(reseller_number), CreditAccount, "credit account"
            )
            owed = credit_to_net(reseller.currency, credit_account.currency, credit_account.balance)
        payout_currency: str = payout.schedule["payment_currency"]
        rate = None
        if payout_currency != reseller.currency:
            rate = rate_for_payment(
                store, reseller.currency, payout_currency, now, policy.fx_max_age
            )
        settlement = settle(
            reseller_number,
            gross,
            standard_rate(charged_country),
            reverse_charge,
            bool(facts["backup_withholding"]),
            owed,
            payout_currency,
            None if rate is None else rate["rate"],
        )
        counter_id = Counter.create_id(f"self-billing:{reseller_number}")
        counter = (
            load(store, counter_id, Counter, "counter")
            if exists(store, counter_id)
            else Counter(name=f"self-billing:{reseller_number}")
        )
        invoice_number = f"SB-{reseller.code}-{counter.take():06d}"
        payee = {
            "legal_name": facts["legal_name"],
            "address": facts["address"],
            "country": facts["country"],
            "vat_id": facts["vat_id"],
            "backup_withholding": facts["backup_withholding"],
        }
        payout.pay(
            now,
            ids,
            excluded,
            settlement,
            charged_country,
            invoice_number,
            payee,
            None if rate is None else rate["as_of"],
        )
        for record in included:
            record.mark_paid()
        if credit_account is not None and settlement.offset.is_positive:
            credit_account.settle_from_payout(settlement.offset, str(payout.id), now.date(), now)
            changed.append(credit_account)
        account.close_cycle(cycle, "paid", Money.zero(reseller.currency), [])
        changed += [counter, *included]
        return Outcome(changed, payout_view(payout), reseller.root_number, reseller_number)

    return run_command(store, context, handle, fingerprint("payout_pay", reseller_number, cycle))


def confirm_payout(
    store: Store, context: RequestContext, reseller_number: int, cycle: str
) -> CommandResult:
    """The payment went out: a receipt with a reference (deterministic, so a rerun matches)."""
    _isp_only(context, reseller_number)

    def handle() -> Outcome:
        reseller = _reseller(store, reseller_number)
        payout = load(store, payout_id(reseller_number, cycle), Payout, "payout")
        reference = f"PAYOUT-{reseller.code}-{cycle}"
        if payout.status == "confirmed":
            return Outcome([], payout_view(payout), reseller.root_number, reseller_number)
        payout.confirm(reference, f"R-{reference}", context.received_at)
        return Outcome([payout], payout_view(payout), reseller.root_number, reseller_number)

    return run_command(
        store, context, handle, fingerprint("payout_confirm", reseller_number, cycle)
    )


def advance_cycle(
    store: Store,
    context: RequestContext,
    reseller_number: int,
    candidates: Callable[[], Sequence[UUID]],
    policy: PayoutPolicy,
) -> list[str]:
    """Take the reseller's payout cycle as far as today allows; returns the steps taken. Each
    step is its own idempotent command, so a rerun (or a rerun after a crash between steps)
    continues where the last one stopped and never pays twice."""
    _isp_only(context, reseller_number)
    today = context.received_at.date()
    steps: list[str] = []
    reseller = _reseller(store, reseller_number)
    account = _payout_account(store, reseller)
    cycle = account.open_cycle
    if cycle is None:
        current = cycle_of(today)
        if not is_payment_month(account.frequency, parse_cycle(current)):
            return steps
        if today.day > STATEMENT_LAST_DAY and account.last_cycle != current:
            return steps  # statements are made on the 1st-15th; the records wait a cycle
        if account.last_cycle is not None and account.last_cycle >= current:
            cycle = current
        else:
            made = prepare_statement(store, context, reseller_number, current, candidates(), policy)
            if made.status_code == 201:
                steps.append("statement")
            cycle = current
    try:
        payout = load(store, payout_id(reseller_number, cycle), Payout, "payout")
    except NotFound:
        return steps
    if payout.is_due(today):
        pay_payout(store, context, reseller_number, cycle, policy)
        payout = load(store, payout.id, Payout, "payout")
        steps.append(payout.status)
    if payout.status == "paid":
        confirm_payout(store, context, reseller_number, cycle)
        steps.append("confirmed")
    return steps
