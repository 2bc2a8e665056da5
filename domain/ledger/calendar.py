"""The one business-day calendar: weekends plus, per country, a table of fixed-date public
holidays. The dispute window, review due dates and payout dates count business days here.

Without a country the calendar is weekends only (Saturday and Sunday), which is what every
date recorded so far was computed with. A country (ISO 3166 alpha-2) adds its fixed-date
public holidays from `FIXED_HOLIDAYS`; movable holidays (Easter, Eid, Diwali, "first Monday
of ..."), regional holidays and weekend substitutes are not in the table: pass them as
`extra_holidays`. Every loop is bounded: counts and dates outside the documented range are
refused rather than computed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

EARLIEST_BUSINESS_DATE = date(2000, 1, 1)
LATEST_BUSINESS_DATE = date(2099, 12, 31)
"""The range of business dates the domain accepts (the API refuses any date outside it)."""
MAX_BUSINESS_DAYS = 366
"""The largest count added or counted at once (the longest window the domain uses is 10)."""
MAX_EXTRA_HOLIDAYS = 400

SATURDAY_SUNDAY = frozenset({5, 6})
FRIDAY_SATURDAY = frozenset({4, 5})
WEEKENDS: dict[str, frozenset[int]] = {"BH": FRIDAY_SATURDAY}
"""Weekday numbers (Monday = 0) of the weekend where it is not Saturday and Sunday."""

# Fixed-date national public holidays as (month, day), for the countries the code base
# knows (the tax table). Only dates that fall on the same day every year are listed.
FIXED_HOLIDAYS: dict[str, tuple[tuple[int, int], ...]] = {
    "AE": ((1, 1), (12, 2), (12, 3)),
    "AU": ((1, 1), (1, 26), (4, 25), (12, 25), (12, 26)),
    "BH": ((1, 1), (5, 1), (12, 16), (12, 17)),
    "CA": ((1, 1), (7, 1), (12, 25)),
    "DE": ((1, 1), (5, 1), (10, 3), (12, 25), (12, 26)),
    "ES": ((1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25)),
    "FR": ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)),
    "GB": ((1, 1), (12, 25), (12, 26)),
    "GH": ((1, 1), (3, 6), (5, 1), (12, 25), (12, 26)),
    "IE": ((1, 1), (3, 17), (12, 25), (12, 26)),
    "IN": ((1, 26), (8, 15), (10, 2)),
    "IT": ((1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)),
    "JP": ((1, 1), (2, 11), (2, 23), (4, 29), (5, 3), (5, 4), (5, 5), (8, 11), (11, 3), (11, 23)),
    "KE": ((1, 1), (5, 1), (6, 1), (10, 10), (10, 20), (12, 12), (12, 25), (12, 26)),
    "NG": ((1, 1), (5, 1), (6, 12), (10, 1), (12, 25), (12, 26)),
    "NL": ((1, 1), (4, 27), (12, 25), (12, 26)),
    "NZ": ((1, 1), (1, 2), (2, 6), (4, 25), (12, 25), (12, 26)),
    "US": ((1, 1), (6, 19), (7, 4), (11, 11), (12, 25)),
    "ZA": (
        (1, 1),
        (3, 21),
        (4, 27),
        (5, 1),
        (6, 16),
        (8, 9),
        (9, 24),
        (12, 16),
        (12, 25),
        (12, 26),
    ),
}


def _require_in_range(day: date, what: str) -> None:
    if not EARLIEST_BUSINESS_DATE <= day <= LATEST_BUSINESS_DATE:
        raise ValueError(
            f"{what} {day.isoformat()} is outside the business dates"
            f" {EARLIEST_BUSINESS_DATE.isoformat()} to {LATEST_BUSINESS_DATE.isoformat()}"
        )


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Business days: not a weekend day and not a holiday of `country` nor an extra one."""

    country: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.country is not None and (
            len(self.country) != 2 or not self.country.isascii() or not self.country.isupper()
        ):
            raise ValueError("a calendar's country is an ISO 3166 alpha-2 code")
        if len(self.extra_holidays) > MAX_EXTRA_HOLIDAYS:
            raise ValueError(f"at most {MAX_EXTRA_HOLIDAYS} extra holidays")

    @property
    def weekend(self) -> frozenset[int]:
        return WEEKENDS.get(self.country or "", SATURDAY_SUNDAY)

    def is_holiday(self, day: date) -> bool:
        fixed = FIXED_HOLIDAYS.get(self.country or "", ())
        return (day.month, day.day) in fixed or day in self.extra_holidays

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and not self.is_holiday(day)

    def add_business_days(self, start: date, count: int) -> date:
        """The `count`-th business day after `start` (`start` itself when `count` is 0)."""
        _require_in_range(start, "the start")
        if not 0 <= count <= MAX_BUSINESS_DAYS:
            raise ValueError(f"business days out of range (0 to {MAX_BUSINESS_DAYS})")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days are after `start` and up to `end` (0 if `end` is not later):
        the inverse of `add_business_days`."""
        _require_in_range(start, "the start")
        _require_in_range(end, "the end")
        if (end - start).days > 2 * MAX_BUSINESS_DAYS:
            raise ValueError("business-day span too long")
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count


WEEKENDS_ONLY = BusinessCalendar()
"""No holidays: the calendar every date was computed with before countries were known."""


def calendar_for(country: str | None, extra_holidays: Iterable[date] = ()) -> BusinessCalendar:
    """The calendar of a country (None: weekends only), with any extra holidays."""
    return BusinessCalendar(country, frozenset(extra_holidays))


def add_business_days(start: date, count: int, calendar: BusinessCalendar = WEEKENDS_ONLY) -> date:
    """The `count`-th business day after `start` on `calendar` (weekends only by default)."""
    return calendar.add_business_days(start, count)
