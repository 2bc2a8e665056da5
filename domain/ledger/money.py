"""Money: an exact Decimal amount in one ISO 4217 currency, and nothing more.

An amount is always a whole number of the currency's minor unit (cents for USD, none for JPY).
Floats are refused outright; arithmetic refuses to mix currencies. Rounding happens only in
the named functions below, once, at the moment an amount becomes a fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units of the currencies the ledger accepts. A currency missing here is refused.
MINOR_UNITS: dict[str, int] = {
    "AED": 2,
    "AUD": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "GHS": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KES": 2,
    "KRW": 0,
    "KWD": 3,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PHP": 2,
    "PLN": 2,
    "RON": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "UGX": 0,
    "USD": 2,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
    "ZAR": 2,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be money, or arithmetic across currencies."""


def minor_unit(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise MoneyError(f"amounts must be Decimal, int or str, not {type(value).__name__}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise MoneyError(f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError("amounts must be finite")
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency, a whole number of its minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError(f"amount must be a Decimal, not {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise MoneyError("amounts must be finite")
        quantum = _quantum(self.currency)
        if self.amount != self.amount.quantize(quantum, rounding=ROUND_DOWN):
            raise MoneyError(
                f"{self.amount} has more decimal places than {self.currency} allows "
                f"({minor_unit(self.currency)})"
            )
        # One canonical exponent per currency so equal amounts print and hash alike.
        object.__setattr__(self, "amount", self.amount.quantize(quantum))

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Exact money from a value that must already be a whole number of minor units."""
        return cls(_as_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-minor_unit(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount as an integer count of minor units."""
        return int(self.amount.scaleb(minor_unit(self.currency)))

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def round_down(amount: Decimal, currency: str) -> Money:
    """Round toward zero to the minor unit: the rule for commissions (15% of 99.99 is 14.99)."""
    return Money(_as_decimal(amount).quantize(_quantum(currency), rounding=ROUND_DOWN), currency)


def round_half_up(amount: Decimal, currency: str) -> Money:
    """Round half away from zero to the minor unit: the rule for tax lines."""
    return Money(_as_decimal(amount).quantize(_quantum(currency), rounding=ROUND_HALF_UP), currency)


def percent_of(money: Money, rate_percent: Decimal) -> Decimal:
    """The exact, unrounded share; the caller rounds it once with the rule that applies."""
    return money.amount * _as_decimal(rate_percent) / Decimal(100)


def ratio(part: Money, whole: Money) -> Decimal | None:
    """part / whole as an exact-enough Decimal (4 places), or None when whole is zero."""
    part._same_currency(whole)
    if whole.is_zero:
        return None
    return (part.amount / whole.amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
