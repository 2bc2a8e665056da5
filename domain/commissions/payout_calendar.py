"""The payout cycle calendar (seed §5.3): cycles named by their payment month, which months
pay for which frequency, the period a payout covers, and the statement, dispute-window and
payment dates. Pure functions over dates; business days come from the one ledger calendar.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.ledger.calendar import WEEKENDS_ONLY, BusinessCalendar, add_business_days
from domain.ledger.errors import DomainError

FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "bi-annual": 6, "annual": 12}
STATEMENT_LAST_DAY = 15
PAYMENT_WINDOW = (15, 20)
DISPUTE_BUSINESS_DAYS = 5


def cycle_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_cycle(cycle: str) -> date:
    """The first day of the cycle's payment month."""
    try:
        year, month = (int(part) for part in cycle.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise DomainError("a period is YYYY-MM", field="period") from None


def is_payment_month(frequency: str, first_day: date) -> bool:
    """Monthly pays every month; quarterly in Jan/Apr/Jul/Oct; bi-annual in Jan/Jul; annual
    in January: each for the months just ended."""
    return (first_day.month - 1) % FREQUENCY_MONTHS[frequency] == 0


def covered_period(frequency: str, first_day: date) -> tuple[date, date]:
    months = FREQUENCY_MONTHS[frequency]
    end = first_day - timedelta(days=1)
    year, month = first_day.year, first_day.month - months
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1), end


def dispute_window_end(statement_on: date, calendar: BusinessCalendar = WEEKENDS_ONLY) -> date:
    return add_business_days(statement_on, DISPUTE_BUSINESS_DAYS, calendar)


def payment_date(
    cycle: str,
    processing_day: int,
    statement_on: date,
    calendar: BusinessCalendar = WEEKENDS_ONLY,
) -> date:
    first = parse_cycle(cycle)
    low, high = PAYMENT_WINDOW
    scheduled = first.replace(day=min(max(processing_day, low), high))
    return max(scheduled, dispute_window_end(statement_on, calendar) + timedelta(days=1))
