"""What a customer payment's commissions are, so that its reversal can be judged (seed §5.1).

A refund, credit note or chargeback of a payment *inside* its holding period voids the
payment's pending commission records (each is reversed in the journal) and, when only part of
the payment is reversed, replaces them with pending records on what remains, with the same
holding date. *After* the holding period it leaves them alone and records clawbacks (negative
commissions) at the same rates, which offset the next payout. The last day of the holding
period is the day before `hold_until`; on `hold_until` the records clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.money import Money

MAX_REVERSALS = 100


DEFAULT_HOLDING_DAYS = 30
MAX_HOLDING_DAYS = 365


@dataclass(frozen=True, slots=True)
class CommissionSettings:
    """The ledger's commission configuration, fixed by whoever builds the store (infra, from
    `LEDGER_COMMISSION_HOLDING_DAYS`) and read by the commands through the store."""

    holding_days: int = DEFAULT_HOLDING_DAYS

    def __post_init__(self) -> None:
        if not 0 <= self.holding_days <= MAX_HOLDING_DAYS:
            raise ValueError(f"the commission holding period is 0-{MAX_HOLDING_DAYS} days")

    @property
    def holding_period(self) -> timedelta:
        return timedelta(days=self.holding_days)


def holding_ends(paid_on: date, recorded_on: date, holding: timedelta) -> date:
    """`hold_until` of a payment's commissions: the holding period runs from when the money was
    recorded, never from a business date typed earlier (a payment backdated to 1900 is held as
    long as one dated today)."""
    return max(paid_on, recorded_on) + holding


def payment_commissions_id(source: str) -> UUID:
    return derived_id("payment-commissions", source)


def reversal_outcome(within_holding_period: bool, statuses: Sequence[str]) -> str:
    """'voided' when the reversal is inside the holding period and no record standing for
    the payment has moved on from pending; 'clawed_back' otherwise."""
    if within_holding_period and all(status == "pending" for status in statuses):
        return "voided"
    return "clawed_back"


class PaymentCommissions(Aggregate):
    """One payment's commission basis: amount still standing, rates along the chain, and the
    records currently standing for it."""

    class Opened(Aggregate.Created):
        source: str
        customer_id: UUID
        paid: Money
        paid_on: date
        hold_until: date
        rates: list[list[Any]]
        record_ids: list[UUID]

    @event(Opened)
    def __init__(
        self,
        source: str,
        customer_id: UUID,
        paid: Money,
        paid_on: date,
        hold_until: date,
        rates: list[list[Any]],
        record_ids: list[UUID],
    ) -> None:
        self.source = source
        self.customer_id = customer_id
        self.paid = paid
        self.standing = paid
        self.paid_on = paid_on
        self.hold_until = hold_until
        self.rates = rates
        self.record_ids = record_ids
        self.reversals = 0

    @staticmethod
    def create_id(source: str) -> UUID:
        return payment_commissions_id(source)

    @property
    def chain(self) -> list[tuple[int, Decimal]]:
        return [(int(number), Decimal(str(rate))) for number, rate in self.rates]

    def within_holding_period(self, on: date) -> bool:
        return on < self.hold_until

    def reversal_outcome(self, on: date, statuses: Sequence[str]) -> str:
        """How a reversal dated `on` undoes the payment's commissions: inside the holding
        period, while every record standing for it is still pending, they are 'voided' (and
        replaced on what remains); otherwise new records claw the amount back."""
        return reversal_outcome(self.within_holding_period(on), statuses)

    class Reversed(Aggregate.Event):
        reversal: str
        amount: Money
        on: date
        outcome: str
        standing: Money
        record_ids: list[UUID]

    @event(Reversed)
    def _reversed(
        self,
        reversal: str,
        amount: Money,
        on: date,
        outcome: str,
        standing: Money,
        record_ids: list[UUID],
    ) -> None:
        self.standing = standing
        self.record_ids = record_ids
        self.reversals += 1

    def reverse(
        self, reversal: str, amount: Money, on: date, outcome: str, record_ids: list[UUID]
    ) -> None:
        """Record that `amount` of the payment was reversed on `on` ('voided' or 'clawed_back'),
        and which records now stand for it."""
        if amount.currency != self.paid.currency:
            raise DomainError(f"the payment was in {self.paid.currency}", field="currency")
        if not amount.is_positive or amount > self.standing:
            raise DomainError(
                f"at most {self.standing} of this payment can still be reversed", field="amount"
            )
        if self.reversals >= MAX_REVERSALS:
            raise DomainError("this payment was reversed too many times", field="payment_id")
        if outcome not in ("voided", "clawed_back"):
            raise DomainError("a reversal voids or claws back", field="outcome")
        self._reversed(reversal, amount, on, outcome, self.standing - amount, record_ids)
