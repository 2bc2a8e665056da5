"""Business hours with a holiday calendar, and the SLA clock that pauses (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger.errors import DomainError
from domain.support import sla
from domain.support.business_hours import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds,
)

HOLIDAY = date(2027, 1, 11)  # a Monday
CAL = BusinessCalendar("UTC", time(9), time(17), frozenset(range(5)), frozenset({HOLIDAY}))
FRIDAY = datetime(2027, 1, 8, 16, 30, tzinfo=UTC)


def test_open_time_skips_the_weekend_and_the_holiday():
    tuesday = datetime(2027, 1, 12, 9, 30, tzinfo=UTC)
    assert business_seconds(CAL, FRIDAY, tuesday) == 60 * 60
    assert add_business_seconds(CAL, FRIDAY, 3600) == tuesday
    # Without the holiday the hour runs out on Monday.
    plain = BusinessCalendar("UTC", time(9), time(17))
    assert add_business_seconds(plain, FRIDAY, 3600) == datetime(2027, 1, 11, 9, 30, tzinfo=UTC)


def test_local_time_zone_hours():
    lagos = BusinessCalendar("Africa/Lagos", time(9), time(17))  # UTC+1
    monday = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)
    assert add_business_seconds(lagos, monday, 0) == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def test_bad_calendars_are_refused():
    with pytest.raises(DomainError):
        BusinessCalendar("Mars/Olympus")
    with pytest.raises(DomainError):
        BusinessCalendar("UTC", time(17), time(9))
    with pytest.raises(DomainError):
        BusinessCalendar("UTC", workdays=frozenset({7}))


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=0, max_value=60 * 60 * 8 * 30),
)
def test_adding_then_counting_gives_the_same_seconds(start, seconds):
    start = start.replace(microsecond=0)
    end = add_business_seconds(CAL, start, seconds)
    assert business_seconds(CAL, start, end) == seconds


def test_pending_customer_pauses_the_clock():
    opened = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)  # Tuesday
    paused = (opened + timedelta(minutes=10), datetime(2027, 1, 14, 10, 0, tzinfo=UTC))
    clock = sla.Clock(opened, [paused])
    assert sla.elapsed_seconds(CAL, clock, datetime(2027, 1, 14, 10, 0, tzinfo=UTC)) == 600
    assert sla.due_at(CAL, clock, 3600) == datetime(2027, 1, 14, 10, 50, tzinfo=UTC)
    still_paused = sla.Clock(opened, [(paused[0], None)])
    assert sla.due_at(CAL, still_paused, 3600) is None
    far = datetime(2027, 2, 1, tzinfo=UTC)
    assert not sla.is_breached(CAL, still_paused, 3600, None, far)
    assert sla.is_breached(CAL, clock, 3600, None, datetime(2027, 1, 14, 10, 51, tzinfo=UTC))
    assert not sla.is_breached(CAL, clock, 3600, None, datetime(2027, 1, 14, 10, 49, tzinfo=UTC))
    # Met in time stays met, however late it is now.
    assert not sla.is_breached(CAL, clock, 3600, datetime(2027, 1, 14, 10, 20, tzinfo=UTC), far)
