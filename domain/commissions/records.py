"""Commissions: what the ISP owes a reseller on its customers' payments (seed §5.1, §11).

Amounts round *down* to the minor unit, once, when a commission becomes a fact: 15% of 99.99 is
14.99. A reversal (clawback) is the mirror image: its magnitude rounds down too, so 15% of a
21.50 credit note claws back 3.22, never more than the reversed amount earned (`commission_on`).

Along a sub-reseller chain the customer's own reseller earns its rate and each ancestor
earns the difference between its rate and its child's; each share is the difference of two
rounded-down cumulative amounts, so the shares add up to exactly the top-level commission and
none is negative (a child's rate may never exceed its parent's).

A commission record's life: calculated -> approved -> paid, or voided; an approved one may be
disputed, and a dispute is resolved by an adjustment (a new record referencing the original,
never an edit) or rejected. Each step is an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.accounts import (
    COMMISSION_EXPENSE as COMMISSION_EXPENSE,
)
from domain.ledger.accounts import (
    DISPUTE_INTEREST_EXPENSE as DISPUTE_INTEREST_EXPENSE,
)
from domain.ledger.accounts import (
    commission_payable,
)
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.journal import JournalEntry, Posting, credit, debit
from domain.ledger.money import Money, percent_of, round_down

COMMISSION_TYPES = ("setup", "recurring", "usage", "retention", "performance")
INTEREST_TYPE = "interest"
RECORD_TYPES = (*COMMISSION_TYPES, INTEREST_TYPE)
"""What a record may be: plans earn the five seed types; interest on a late-resolved dispute is
a record of its own type (never a plan's)."""
MAX_RATE = Decimal(100)

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"calculated", "voided"}),
    "calculated": frozenset({"approved", "voided"}),
    "approved": frozenset({"paid", "disputed", "voided"}),
    "disputed": frozenset({"approved", "adjusted"}),
    "adjusted": frozenset(),
    "paid": frozenset(),
    "voided": frozenset(),
}


def commission_on(base: Money, rate_percent: Decimal) -> Money:
    """The commission on a base amount: its magnitude rounded down to the minor unit.

    The one rounding rule for commissions *and their reversals*: a negative base (a refund,
    credit note or chargeback clawed back) gives exactly the negative of the commission the
    same positive base earns, so 15% of -21.50 is -3.22 (never -3.23). Hence a reversal never
    claws back more than the reversed amount earned, a full reversal cancels the commission to
    the cent, and partial reversals together never exceed what was paid (rounded-down parts
    sum to at most the rounded-down whole)."""
    if not Decimal(0) <= rate_percent <= MAX_RATE:
        raise DomainError("a commission rate is between 0 and 100 percent", field="commission_rate")
    if base.amount < 0:
        return -commission_on(-base, rate_percent)
    return round_down(percent_of(base, rate_percent), base.currency)


def payable_account(reseller_number: int) -> str:
    return commission_payable(reseller_number)


def payable_postings(reseller_number: int, amount: Money, expense: str) -> list[Posting]:
    """The journal entry of a record: expense against what is payable to the reseller (the
    other way round for a negative amount; nothing for zero)."""
    payable = payable_account(reseller_number)
    if amount.is_positive:
        return list(JournalEntry((debit(expense, amount), credit(payable, amount))).postings)
    if amount.amount < 0:
        return list(JournalEntry((debit(payable, -amount), credit(expense, -amount))).postings)
    return []


def commission_postings(reseller_number: int, amount: Money) -> list[Posting]:
    """Commission expense against the reseller's payable; reversed for a negative amount."""
    return payable_postings(reseller_number, amount, COMMISSION_EXPENSE)


def pass_through_shares(
    chain: Sequence[tuple[int, Decimal]], base: Money
) -> list[tuple[int, Money]]:
    """Shares of a customer's payment along the chain of resellers, from the customer's own
    reseller up to the top-level one, each given with its commission rate."""
    if not chain:
        raise DomainError("a commission needs at least one reseller", field="reseller_id")
    shares = []
    below = Money.zero(base.currency)
    previous_rate = Decimal(0)
    for reseller, rate in chain:
        if rate < previous_rate:
            raise DomainError(
                f"reseller {reseller}'s rate {rate}% is below its sub-reseller's {previous_rate}%",
                field="commission_percent",
            )
        cumulative = commission_on(base, rate)
        shares.append((reseller, cumulative - below))
        below, previous_rate = cumulative, rate
    return shares


class Commission(Aggregate):
    """One commission record, shaped like the seed §5.1 JSON."""

    class Calculated(Aggregate.Created):
        reseller_number: int
        customer_id: UUID | None
        commission_type: str
        base_amount: Money
        commission_rate: Decimal
        commission_amount: Money
        period_start: date
        period_end: date
        adjusts: UUID | None
        status: str
        hold_until: date | None
        source: str | None
        postings: list[Posting]

    @event(Calculated)
    def __init__(
        self,
        reseller_number: int,
        customer_id: UUID | None,
        commission_type: str,
        base_amount: Money,
        commission_rate: Decimal,
        commission_amount: Money,
        period_start: date,
        period_end: date,
        adjusts: UUID | None,
        status: str = "calculated",
        hold_until: date | None = None,
        source: str | None = None,
        postings: list[Posting] | None = None,
    ) -> None:
        self.reseller_number = reseller_number
        self.customer_id = customer_id
        self.commission_type = commission_type
        self.base_amount = base_amount
        self.commission_rate = commission_rate
        self.commission_amount = commission_amount
        self.period_start = period_start
        self.period_end = period_end
        self.adjusts = adjusts
        self.status = status
        self.hold_until = hold_until
        self.source = source
        self.posted = bool(postings)
        self.approved_on: date | None = None
        """The business day it was first approved: its dispute window counts from there."""

    @classmethod
    def calculate(
        cls,
        reseller_number: int,
        customer_id: UUID | None,
        commission_type: str,
        base_amount: Money,
        commission_rate: Decimal,
        period_start: date,
        period_end: date,
        adjusts: UUID | None = None,
    ) -> Commission:
        if commission_type not in COMMISSION_TYPES:
            raise DomainError(
                f"commission_type must be one of {', '.join(COMMISSION_TYPES)}",
                field="commission_type",
            )
        if period_end < period_start:
            raise DomainError("period_end is before period_start", field="period_end")
        return cls(
            reseller_number=reseller_number,
            customer_id=customer_id,
            commission_type=commission_type,
            base_amount=base_amount,
            commission_rate=commission_rate,
            commission_amount=commission_on(base_amount, commission_rate),
            period_start=period_start,
            period_end=period_end,
            adjusts=adjusts,
        )

    class StatusChanged(Aggregate.Event):
        from_status: str
        to_status: str
        note: str | None
        on: date | None
        """The business day of the change (absent from events recorded before it existed)."""

    @event(StatusChanged)
    def _change_status(
        self, from_status: str, to_status: str, note: str | None, on: date | None = None
    ) -> None:
        self.status = to_status
        if to_status == "approved" and self.approved_on is None:
            self.approved_on = on

    def _move(self, to_status: str, note: str | None = None, on: date | None = None) -> None:
        if to_status not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"a {self.status} commission cannot become {to_status}", field="status"
            )
        self._change_status(self.status, to_status, note, on)

    @classmethod
    def accrue(
        cls,
        commission_id: UUID,
        reseller_number: int,
        customer_id: UUID,
        base_amount: Money,
        commission_rate: Decimal,
        amount: Money,
        on: date,
        hold_until: date,
        source: str,
    ) -> Commission:
        """A recurring commission accrued on a customer payment (or, with a negative base, the
        clawback of a refund or credit note): pending until the holding period ends."""
        return cls.record(
            commission_id,
            reseller_number,
            customer_id,
            "recurring",
            base_amount,
            commission_rate,
            amount,
            (on, on),
            "pending",
            hold_until,
            source,
        )

    @classmethod
    def record(
        cls,
        commission_id: UUID,
        reseller_number: int,
        customer_id: UUID | None,
        commission_type: str,
        base_amount: Money,
        commission_rate: Decimal,
        amount: Money,
        period: tuple[date, date],
        status: str,
        hold_until: date | None,
        source: str,
    ) -> Commission:
        """A commission record that is a ledger entry: commission expense against what is
        payable to the reseller (reversed for a negative amount). A deterministic id (from the
        source and the reseller) makes recording it idempotent."""
        if commission_type not in COMMISSION_TYPES:
            raise DomainError(
                f"commission_type must be one of {', '.join(COMMISSION_TYPES)}",
                field="commission_type",
            )
        if period[1] < period[0]:
            raise DomainError("period_end is before period_start", field="period_end")
        # Only a clawback (a negative amount) is born approved: it is owed back at once.
        if status not in ("pending", "calculated") and not (
            status == "approved" and amount.amount < 0
        ):
            raise DomainError("a new commission is pending or calculated", field="status")
        return cls._create(
            cls.Calculated,
            id=commission_id,
            reseller_number=reseller_number,
            customer_id=customer_id,
            commission_type=commission_type,
            base_amount=base_amount,
            commission_rate=commission_rate,
            commission_amount=amount,
            period_start=period[0],
            period_end=period[1],
            adjusts=None,
            status=status,
            hold_until=hold_until,
            source=source,
            postings=commission_postings(reseller_number, amount),
        )

    def clear(self, today: date) -> bool:
        """Pending -> calculated once its holding period is over; False while it is not."""
        if self.status != "pending" or self.hold_until is None or today < self.hold_until:
            return False
        self._move("calculated", "holding period over")
        return True

    def approve(self, on: date | None = None) -> None:
        self._move("approved", on=on)

    def dispute(self, reason: str, on: date | None = None) -> None:
        self._move("disputed", reason, on)

    def reject_dispute(self, note: str, on: date | None = None) -> None:
        self._move("approved", note, on)

    def adjustment_for(self, corrected_base: Money) -> Money:
        """What settling a dispute at `corrected_base` would add to this record."""
        if corrected_base.currency != self.base_amount.currency:
            raise DomainError("the corrected base must be in the same currency", field="currency")
        return commission_on(corrected_base, self.commission_rate) - self.commission_amount

    def settle_dispute(
        self,
        corrected_base: Money,
        note: str,
        adjustment_id: UUID | None = None,
        on: date | None = None,
        source: str | None = None,
    ) -> Commission:
        """Resolve a dispute by an adjustment: a new record for the difference, referencing this
        one (this record is never edited). The adjustment is approved (payable as it is) and
        carries its own journal entry; a deterministic `adjustment_id` makes settling twice
        collide in the store instead of paying twice."""
        # The adjustment carries exactly what the corrected commission differs by, so original
        # plus adjustment equals the commission on the corrected base, to the minor unit.
        amount = self.adjustment_for(corrected_base)
        self._move("adjusted", note, on)
        return Commission._create(
            Commission.Calculated,
            id=adjustment_id,
            reseller_number=self.reseller_number,
            customer_id=self.customer_id,
            commission_type=self.commission_type,
            base_amount=corrected_base - self.base_amount,
            commission_rate=self.commission_rate,
            commission_amount=amount,
            period_start=self.period_start,
            period_end=self.period_end,
            adjusts=self.id,
            status="approved",
            hold_until=None,
            source=source,
            postings=payable_postings(self.reseller_number, amount, COMMISSION_EXPENSE),
        )

    @classmethod
    def record_interest(
        cls,
        interest_id: UUID,
        reseller_number: int,
        principal: Money,
        annual_rate_percent: Decimal,
        amount: Money,
        due_on: date,
        resolved_on: date,
        source: str,
    ) -> Commission:
        """Interest owed for resolving a dispute late: approved and payable, with its entry."""
        if not amount.is_positive:
            raise DomainError("interest is a positive amount", field="interest")
        return cls._create(
            cls.Calculated,
            id=interest_id,
            reseller_number=reseller_number,
            customer_id=None,
            commission_type=INTEREST_TYPE,
            base_amount=principal,
            commission_rate=annual_rate_percent,
            commission_amount=amount,
            period_start=due_on,
            period_end=resolved_on,
            adjusts=None,
            status="approved",
            hold_until=None,
            source=source,
            postings=payable_postings(reseller_number, amount, DISPUTE_INTEREST_EXPENSE),
        )

    def mark_paid(self) -> None:
        self._move("paid")

    class Voided(Aggregate.Event):
        from_status: str
        to_status: str
        note: str | None
        postings: list[Posting]

    @event(Voided)
    def _void(
        self, from_status: str, to_status: str, note: str | None, postings: list[Posting]
    ) -> None:
        self.status = to_status

    def void(self, reason: str) -> None:
        """Void the record; one that was posted is reversed, so its entries net to zero."""
        if "voided" not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"a {self.status} commission cannot become voided", field="status"
            )
        reversal = (
            commission_postings(self.reseller_number, -self.commission_amount)
            if self.posted
            else []
        )
        self._void(self.status, "voided", reason, reversal)
