"""Exchange rates the master ISP records, one book per currency pair (DESIGN.md §5: rates are
recorded facts; conversion happens at payment time and the rate used is stored with it).

A rate says: 1 unit of `base` is worth `rate` units of `quote`, from `as_of` on. A payment at an
instant uses the rate with the latest `as_of` among those *recorded* at or before that instant
and valid from at or before it, so a rate recorded afterwards, even backdated, never changes
what a payment at that instant used.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.money import minor_unit

MAX_RATE = Decimal(10) ** 9


def fx_book_id(base: str, quote: str) -> UUID:
    return derived_id("fx-rates", base, quote)


class FxRateBook(Aggregate):
    class Opened(Aggregate.Created):
        base: str
        quote: str

    @event(Opened)
    def __init__(self, base: str, quote: str) -> None:
        self.base = base
        self.quote = quote
        self.rates: list[dict[str, Any]] = []

    @staticmethod
    def create_id(base: str, quote: str) -> UUID:
        return fx_book_id(base, quote)

    @classmethod
    def open(cls, base: str, quote: str) -> FxRateBook:
        minor_unit(base)
        minor_unit(quote)
        if base == quote:
            raise DomainError("base and quote must differ", field="quote")
        return cls(base=base, quote=quote)

    class RateRecorded(Aggregate.Event):
        rate: Decimal
        as_of: datetime
        recorded_at: datetime

    @event(RateRecorded)
    def _record(self, rate: Decimal, as_of: datetime, recorded_at: datetime) -> None:
        self.rates = [*self.rates, {"rate": rate, "as_of": as_of, "recorded_at": recorded_at}]

    def record(self, rate: Decimal, as_of: datetime, recorded_at: datetime) -> None:
        if not rate.is_finite() or not Decimal(0) < rate <= MAX_RATE:
            raise DomainError("rate must be positive (quote units per base unit)", field="rate")
        if as_of.tzinfo is None:
            raise DomainError("as_of must carry a time zone", field="as_of")
        if as_of > recorded_at:
            raise DomainError("a rate cannot be recorded ahead of its as_of instant", field="as_of")
        self._record(rate, as_of, recorded_at)

    def rate_at(self, instant: datetime) -> dict[str, Any] | None:
        """The rate in force at `instant` as known at `instant`, or None."""
        known = [r for r in self.rates if r["recorded_at"] <= instant and r["as_of"] <= instant]
        if not known:
            return None
        return max(known, key=lambda r: (r["as_of"], r["recorded_at"]))
