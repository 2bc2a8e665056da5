"""Business hours on a calendar: opening hours on working weekdays in a time zone, minus
holidays. Pure arithmetic over aware datetimes (UTC in, UTC out); every loop is bounded.

`business_seconds(calendar, start, end)` counts the open time in [start, end);
`add_business_seconds(calendar, start, seconds)` is the instant that much open time after
`start`. The two agree: `business_seconds(c, s, add_business_seconds(c, s, n)) == n`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.ledger.errors import DomainError

MAX_DAYS = 3_700
"""The furthest any computation looks ahead (about ten years of calendar days)."""
MAX_HOLIDAYS = 400


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    timezone: str = "UTC"
    opens: time = time(8, 0)
    closes: time = time(18, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    """Weekday numbers (Monday = 0) that are working days."""
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainError(f"unknown time zone {self.timezone!r}", field="timezone") from None
        if not self.opens < self.closes:
            raise DomainError("business hours must open before they close", field="closes")
        if not self.workdays or not self.workdays <= set(range(7)):
            raise DomainError("workdays are weekday numbers 0 (Monday) to 6", field="workdays")
        if len(self.holidays) > MAX_HOLIDAYS:
            raise DomainError(f"at most {MAX_HOLIDAYS} holidays", field="holidays")

    @classmethod
    def of(
        cls,
        timezone: str,
        opens: str,
        closes: str,
        workdays: Iterable[int],
        holidays: Iterable[str],
    ) -> BusinessCalendar:
        """From the plain values an event records."""
        return cls(
            timezone,
            time.fromisoformat(opens),
            time.fromisoformat(closes),
            frozenset(workdays),
            frozenset(date.fromisoformat(h) for h in holidays),
        )

    def record(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "opens": self.opens.isoformat("minutes"),
            "closes": self.closes.isoformat("minutes"),
            "workdays": sorted(self.workdays),
            "holidays": sorted(h.isoformat() for h in self.holidays),
        }

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's open hours as UTC instants, or None on a closed day."""
        if not self.is_business_day(day):
            return None
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(day, self.opens, zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, zone).astimezone(UTC)
        return start, end


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None:
            raise ValueError("business-hour arithmetic needs aware datetimes")


def _local_day(calendar: BusinessCalendar, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(calendar.timezone)).date()


def business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Whole seconds of open time in [start, end) (0 when end is not after start)."""
    _require_aware(start, end)
    if end <= start:
        return 0
    day = _local_day(calendar, start) - timedelta(days=1)
    last = _local_day(calendar, end) + timedelta(days=1)
    if (last - day).days > MAX_DAYS:
        raise ValueError("business-hour span too long")
    total = 0.0
    while day <= last:
        interval = calendar.open_interval(day)
        if interval is not None:
            lo, hi = max(interval[0], start), min(interval[1], end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def add_business_seconds(calendar: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    """The instant at which `seconds` of open time have passed since `start`."""
    _require_aware(start)
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = float(seconds)
    day = _local_day(calendar, start) - timedelta(days=1)
    for _ in range(MAX_DAYS):
        interval = calendar.open_interval(day)
        day += timedelta(days=1)
        if interval is None or interval[1] <= start:
            continue
        lo = max(interval[0], start)
        available = (interval[1] - lo).total_seconds()
        if remaining <= available:
            # A target of zero is due at the first open instant, not before it.
            return lo + timedelta(seconds=remaining)
        remaining -= available
    raise ValueError("no business time within the calendar's horizon")
