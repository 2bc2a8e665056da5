"""Shared by every report and dashboard: the report error, ratios and money shown at the
currency's scale."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.ledger.errors import DomainError
from domain.ledger.money import round_half_up

RATIO = Decimal("0.0001")
ZERO = Decimal(0)


class ReportError(DomainError):
    """A request the report cannot answer; names the offending parameter (422)."""


# -- small helpers ------------------------------------------------------------------------


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


def text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def exact(value: Decimal | str, currency: str) -> str:
    """A sum of recorded amounts shown at the currency's scale (0 -> "0.00"); whole minor
    units stay as they are, so this never rounds them."""
    return str(round_half_up(Decimal(value), currency).amount)
