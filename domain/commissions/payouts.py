"""Commission payouts (seed §5.3, §12.1): the schedule, the cycle calendar, and the payout.

A payout pays a reseller's *approved* commission records (clawbacks and downward adjustments
are negative records and offset the rest) and moves each to paid. One payout per reseller per
cycle; a cycle is named by its payment month (`2026-11`), and the payout's id derives from
(reseller, cycle), so a second run of the same cycle finds it and pays nothing twice.

The cycle (all dates are business dates in the payment month):
1. statement (1st-15th): the approved records are gathered into a cycle statement;
2. dispute window: the 5 business days after the statement; a record disputed (or voided) by
   payment time is left out;
3. payment (15th-20th): on the reseller's processing day clamped into the 15th-20th, and never
   before the dispute window has closed. Below the minimum threshold nothing is paid: the total
   carries forward (the records stay approved) into the next cycle's statement;
4. confirmation: a receipt with a reference.

Money: the gross commission (commission currency) gets VAT on top at the reseller's country
standard rate (the payout is a self-billed invoice), posted to input VAT; for cross-border B2B
(reseller's tax country differs from the ISP's and the reseller has a VAT id) the invoice is
reverse charge: the ISP self-accounts VAT at its own country's rate (input and output postings
that cancel) and pays the gross only. US payees under backup withholding have 24% of the gross
withheld. When the reseller opted in, what it owes on its credit account is settled first out
of the amount due. The rest is converted at the payment instant's recorded rate and paid.
All of it is one balanced journal entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commissions.payout_calendar import (
    FREQUENCY_MONTHS,
    covered_period,
    dispute_window_end,
    is_payment_month,
    parse_cycle,
    payment_date,
)
from domain.commissions.payout_settlement import BACKUP_WITHHOLDING_RATE, Settlement
from domain.ledger.calendar import WEEKENDS_ONLY, BusinessCalendar
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.ids import derived_id
from domain.ledger.journal import (
    Posting,
)
from domain.ledger.money import Money

PAYOUT_METHODS = ("bank_transfer", "wire", "check", "digital_wallet")
MIN_THRESHOLD = Decimal(50)
MAX_THRESHOLD = Decimal(1000)
MAX_RECORDS_PER_PAYOUT = 10_000


def payout_id(reseller_number: int, cycle: str) -> UUID:
    return derived_id("payout", reseller_number, cycle)


def payout_account_id(reseller_number: int) -> UUID:
    return derived_id("payout-account", reseller_number)


# -- the schedule ---------------------------------------------------------------------------


class PayoutAccount(Aggregate):
    """A reseller's payout schedule and what its last cycle carried forward."""

    class Opened(Aggregate.Created):
        reseller_number: int
        currency: str

    @event(Opened)
    def __init__(self, reseller_number: int, currency: str) -> None:
        self.reseller_number = reseller_number
        self.currency = currency
        self.frequency = "monthly"
        self.processing_day = 15
        self.minimum_threshold = Money.of(MIN_THRESHOLD, currency)
        self.payment_method = "bank_transfer"
        self.payment_currency = currency
        self.net_against_credit = False
        self.open_cycle: str | None = None
        self.carried_forward = Money.zero(currency)
        self.carried_ids: list[str] = []
        self.last_cycle: str | None = None

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return payout_account_id(reseller_number)

    class ScheduleSet(Aggregate.Event):
        frequency: str
        processing_day: int
        minimum_threshold: Money
        payment_method: str
        payment_currency: str
        net_against_credit: bool

    @event(ScheduleSet)
    def _set_schedule(
        self,
        frequency: str,
        processing_day: int,
        minimum_threshold: Money,
        payment_method: str,
        payment_currency: str,
        net_against_credit: bool,
    ) -> None:
        self.frequency = frequency
        self.processing_day = processing_day
        self.minimum_threshold = minimum_threshold
        self.payment_method = payment_method
        self.payment_currency = payment_currency
        self.net_against_credit = net_against_credit

    def set_schedule(
        self,
        frequency: str,
        processing_day: int,
        minimum_threshold: Money,
        payment_method: str,
        payment_currency: str,
        net_against_credit: bool,
    ) -> None:
        if frequency not in FREQUENCY_MONTHS:
            raise DomainError(
                f"frequency is one of {', '.join(FREQUENCY_MONTHS)}", field="frequency"
            )
        if not 1 <= processing_day <= 28:
            raise DomainError("processing_day is 1-28", field="processing_day")
        if minimum_threshold.currency != self.currency:
            raise DomainError(
                f"the threshold is in the reseller's currency, {self.currency}",
                field="minimum_threshold",
            )
        if not MIN_THRESHOLD <= minimum_threshold.amount <= MAX_THRESHOLD:
            raise DomainError("minimum_threshold is 50-1000", field="minimum_threshold")
        if payment_method not in PAYOUT_METHODS:
            raise DomainError(
                f"payment_method is one of {', '.join(PAYOUT_METHODS)}", field="payment_method"
            )
        self._set_schedule(
            frequency,
            processing_day,
            minimum_threshold,
            payment_method,
            payment_currency,
            net_against_credit,
        )

    class CycleOpened(Aggregate.Event):
        cycle: str

    @event(CycleOpened)
    def open_cycle_for(self, cycle: str) -> None:
        self.open_cycle = cycle

    class CycleClosed(Aggregate.Event):
        cycle: str
        outcome: str
        carried_forward: Money
        carried_ids: list[str]

    @event(CycleClosed)
    def close_cycle(
        self, cycle: str, outcome: str, carried_forward: Money, carried_ids: list[str]
    ) -> None:
        self.open_cycle = None
        self.last_cycle = cycle
        self.carried_forward = carried_forward
        self.carried_ids = carried_ids


# -- the payout -----------------------------------------------------------------------------


class Payout(Aggregate):
    """One reseller's payout for one cycle: statement -> paid -> confirmed, or
    statement -> carried_forward."""

    class StatementPrepared(Aggregate.Created):
        reseller_number: int
        cycle: str
        period_start: date
        period_end: date
        prepared_on: date
        prepared_at: datetime
        dispute_window_ends: date
        pay_on: date
        currency: str
        opening_carried_forward: Money
        lines: list[dict[str, Any]]
        total: Money
        schedule: dict[str, Any]

    @event(StatementPrepared)
    def __init__(
        self,
        reseller_number: int,
        cycle: str,
        period_start: date,
        period_end: date,
        prepared_on: date,
        prepared_at: datetime,
        dispute_window_ends: date,
        pay_on: date,
        currency: str,
        opening_carried_forward: Money,
        lines: list[dict[str, Any]],
        total: Money,
        schedule: dict[str, Any],
    ) -> None:
        self.reseller_number = reseller_number
        self.cycle = cycle
        self.period_start = period_start
        self.period_end = period_end
        self.prepared_on = prepared_on
        self.pay_on = pay_on
        self.currency = currency
        self.lines = lines
        self.total = total
        self.schedule = schedule
        self.status = "statement"
        self.paid: dict[str, Any] | None = None
        self.reference: str | None = None

    @staticmethod
    def create_id(reseller_number: int, cycle: str) -> UUID:
        return payout_id(reseller_number, cycle)

    @classmethod
    def prepare(
        cls,
        account: PayoutAccount,
        cycle: str,
        records: Sequence[tuple[UUID, str, Money]],
        now: datetime,
        calendar: BusinessCalendar = WEEKENDS_ONLY,
    ) -> Payout:
        """The cycle statement over the approved records (id, type, amount) found today; the
        dispute window and payment date count business days on `calendar`."""
        first = parse_cycle(cycle)
        if not is_payment_month(account.frequency, first):
            raise DomainError(f"{cycle} is not a {account.frequency} payment month", "period")
        if len(records) > MAX_RECORDS_PER_PAYOUT:
            raise DomainError("too many records for one payout", field="period")
        today = now.date()
        start, end = covered_period(account.frequency, first)
        carried = set(account.carried_ids)
        lines: list[dict[str, Any]] = [
            {
                "commission_id": str(cid),
                "commission_type": kind,
                "amount": amount,
                "carried": str(cid) in carried,
            }
            for cid, kind, amount in sorted(records, key=lambda r: str(r[0]))
        ]
        zero = Money.zero(account.currency)
        total = sum((amount for _, _, amount in records), zero)
        opening = sum((amount for cid, _, amount in records if str(cid) in carried), zero)
        return cls(
            reseller_number=account.reseller_number,
            cycle=cycle,
            period_start=start,
            period_end=end,
            prepared_on=today,
            prepared_at=now,
            dispute_window_ends=dispute_window_end(today, calendar),
            pay_on=payment_date(cycle, account.processing_day, today, calendar),
            currency=account.currency,
            opening_carried_forward=opening,
            lines=lines,
            total=total,
            schedule={
                "frequency": account.frequency,
                "processing_day": account.processing_day,
                "minimum_threshold": account.minimum_threshold,
                "payment_method": account.payment_method,
                "payment_currency": account.payment_currency,
                "net_against_credit": account.net_against_credit,
            },
        )

    @property
    def commission_ids(self) -> list[UUID]:
        return [UUID(line["commission_id"]) for line in self.lines]

    def is_due(self, today: date) -> bool:
        return self.status == "statement" and today >= self.pay_on

    def _require_due(self, today: date) -> None:
        if self.status != "statement":
            raise InvalidTransition(f"the payout is already {self.status}", field="status")
        if today < self.pay_on:
            raise DomainError(f"the payout is due on {self.pay_on}", field="pay_on")

    class CarriedForward(Aggregate.Event):
        reseller_number: int
        cycle: str
        decided_on: date
        decided_at: datetime
        commission_ids: list[str]
        excluded_ids: list[str]
        carried_forward: Money
        minimum_threshold: Money

    @event(CarriedForward)
    def _carry(
        self,
        reseller_number: int,
        cycle: str,
        decided_on: date,
        decided_at: datetime,
        commission_ids: list[str],
        excluded_ids: list[str],
        carried_forward: Money,
        minimum_threshold: Money,
    ) -> None:
        self.status = "carried_forward"

    def carry_forward(
        self, now: datetime, included: list[str], excluded: list[str], total: Money
    ) -> None:
        self._require_due(now.date())
        self._carry(
            self.reseller_number,
            self.cycle,
            now.date(),
            now,
            included,
            excluded,
            total,
            self.schedule["minimum_threshold"],
        )

    class Paid(Aggregate.Event):
        """Everything a 1099-NEC and a VAT statement need (see docs/architecture.md)."""

        reseller_number: int
        cycle: str
        paid_on: date
        paid_at: datetime
        effective_date: date
        commission_ids: list[str]
        excluded_ids: list[str]
        gross_commission: Money
        vat_rate: Decimal
        vat_amount: Money
        vat_country: str
        reverse_charge: bool
        invoice_number: str
        payee: dict[str, Any]
        withholding_rate: Decimal
        withheld: Money
        credit_offset: Money
        amount_due: Money
        fx_rate: Decimal | None
        fx_as_of: datetime | None
        amount_paid: Money
        payment_method: str
        carried_forward: Money
        postings: list[Posting]

    @event(Paid)
    def _pay(
        self,
        reseller_number: int,
        cycle: str,
        paid_on: date,
        paid_at: datetime,
        effective_date: date,
        commission_ids: list[str],
        excluded_ids: list[str],
        gross_commission: Money,
        vat_rate: Decimal,
        vat_amount: Money,
        vat_country: str,
        reverse_charge: bool,
        invoice_number: str,
        payee: dict[str, Any],
        withholding_rate: Decimal,
        withheld: Money,
        credit_offset: Money,
        amount_due: Money,
        fx_rate: Decimal | None,
        fx_as_of: datetime | None,
        amount_paid: Money,
        payment_method: str,
        carried_forward: Money,
        postings: list[Posting],
    ) -> None:
        self.status = "paid"
        self.paid = {
            "paid_on": paid_on,
            "paid_at": paid_at,
            "gross_commission": gross_commission,
            "amount_paid": amount_paid,
            "fx_rate": fx_rate,
            "invoice_number": invoice_number,
        }

    def pay(
        self,
        now: datetime,
        included: list[str],
        excluded: list[str],
        settlement: Settlement,
        vat_country: str,
        invoice_number: str,
        payee: dict[str, Any],
        fx_as_of: datetime | None,
    ) -> None:
        self._require_due(now.date())
        self._pay(
            reseller_number=self.reseller_number,
            cycle=self.cycle,
            paid_on=now.date(),
            paid_at=now,
            effective_date=now.date(),
            commission_ids=included,
            excluded_ids=excluded,
            gross_commission=settlement.gross,
            vat_rate=settlement.vat_rate,
            vat_amount=settlement.vat,
            vat_country=vat_country,
            reverse_charge=settlement.reverse_charge,
            invoice_number=invoice_number,
            payee=payee,
            withholding_rate=BACKUP_WITHHOLDING_RATE
            if settlement.withheld.is_positive
            else Decimal(0),
            withheld=settlement.withheld,
            credit_offset=settlement.offset,
            amount_due=settlement.due_after_offset,
            fx_rate=settlement.fx_rate,
            fx_as_of=fx_as_of,
            amount_paid=settlement.paid,
            payment_method=self.schedule["payment_method"],
            carried_forward=Money.zero(self.currency),
            postings=list(settlement.postings),
        )

    class Confirmed(Aggregate.Event):
        reseller_number: int
        cycle: str
        reference: str
        receipt_number: str
        confirmed_at: datetime

    @event(Confirmed)
    def _confirm(
        self,
        reseller_number: int,
        cycle: str,
        reference: str,
        receipt_number: str,
        confirmed_at: datetime,
    ) -> None:
        self.status = "confirmed"
        self.reference = reference

    def confirm(self, reference: str, receipt_number: str, now: datetime) -> None:
        if self.status != "paid":
            raise InvalidTransition(f"a {self.status} payout cannot be confirmed", "status")
        self._confirm(self.reseller_number, self.cycle, reference, receipt_number, now)
