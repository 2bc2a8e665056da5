"""What a billing run may bill: the length of a billing period, and invoice numbering."""

from __future__ import annotations

from datetime import date

from domain.billing.proration import days_in_period
from domain.ledger.errors import DomainError

MAX_PERIOD_DAYS = 92
"""The longest billing period: a quarter (92 days)."""


def billing_period_days(start: date, end: date) -> int:
    """The days of a billing period, refused unless 1-`MAX_PERIOD_DAYS`."""
    days = days_in_period(start, end)
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise DomainError(f"a billing period is 1-{MAX_PERIOD_DAYS} days", field="period_end")
    return days


def invoice_number(reseller_code: str, sequence: int) -> str:
    """The invoice number: the reseller's code and its gap-free counter, zero-padded to six."""
    return f"{reseller_code}-{sequence:06d}"
