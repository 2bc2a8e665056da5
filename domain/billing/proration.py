"""Proration: a service billable for part of a billing period is charged the share of the
period's days it was billable (the share is exact; money rounds half-up once, per line)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.ledger.money import Money, round_half_up


def days_in_period(start: date, end: date) -> int:
    """The days of [start, end], both included."""
    return (end - start).days + 1


def prorated_share(billable_days: int, period_days: int) -> Decimal:
    """The fraction of the period billed: 1 for a whole period, exact (not rounded)."""
    return Decimal(billable_days) / Decimal(period_days)


def prorated(amount: Money, share: Decimal) -> Money:
    """`amount` for `share` of a period, rounded half-up to the currency's minor unit."""
    return round_half_up(share * amount.amount, amount.currency)


def line_description(
    tariff_name: str, start: date, end: date, billable_days: int, period_days: int
) -> str:
    """An invoice line's description: the tariff and period, with the days billed when the
    service was billable for part of it only."""
    label = f"{tariff_name} {start.isoformat()}..{end.isoformat()}"
    if billable_days < period_days:
        label += f" ({billable_days}/{period_days} days)"
    return label
