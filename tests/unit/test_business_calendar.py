"""The one business calendar: weekends, fixed-date holidays per country, bounded counts."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger.calendar import (
    EARLIEST_BUSINESS_DATE,
    FIXED_HOLIDAYS,
    LATEST_BUSINESS_DATE,
    MAX_BUSINESS_DAYS,
    WEEKENDS_ONLY,
    BusinessCalendar,
    add_business_days,
    calendar_for,
)

DAYS = st.dates(EARLIEST_BUSINESS_DATE, LATEST_BUSINESS_DATE - timedelta(days=800))
COUNTS = st.integers(0, MAX_BUSINESS_DAYS)
CALENDARS = st.one_of(
    st.just(WEEKENDS_ONLY),
    st.sampled_from(sorted(FIXED_HOLIDAYS)).map(calendar_for),
    st.builds(
        calendar_for,
        st.sampled_from(sorted(FIXED_HOLIDAYS)),
        st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20),
    ),
)


@given(CALENDARS, DAYS, st.integers(1, MAX_BUSINESS_DAYS))
def test_business_days_never_land_on_a_weekend_or_holiday(
    calendar: BusinessCalendar, start: date, count: int
) -> None:
    day = calendar.add_business_days(start, count)
    assert day.weekday() not in calendar.weekend
    assert not calendar.is_holiday(day)
    assert calendar.is_business_day(day)


@given(CALENDARS, DAYS, COUNTS)
def test_adding_n_then_counting_gives_n(
    calendar: BusinessCalendar, start: date, count: int
) -> None:
    assert calendar.business_days_between(start, calendar.add_business_days(start, count)) == count


@given(CALENDARS, DAYS, COUNTS, COUNTS)
def test_monotone_in_n(calendar: BusinessCalendar, start: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert calendar.add_business_days(start, low) <= calendar.add_business_days(start, high)
    if low < high:
        assert calendar.add_business_days(start, low) < calendar.add_business_days(start, high)


@given(DAYS, COUNTS)
def test_without_a_country_only_weekends_are_skipped(start: date, count: int) -> None:
    day, remaining = start, count
    while remaining:
        day += timedelta(days=1)
        remaining -= day.weekday() < 5
    assert add_business_days(start, count) == day


def test_country_holidays_and_extra_holidays_are_skipped() -> None:
    christmas_eve = date(2026, 12, 24)  # Thursday
    assert add_business_days(christmas_eve, 1) == date(2026, 12, 25)
    assert add_business_days(christmas_eve, 1, calendar_for("GB")) == date(2026, 12, 28)
    extra = calendar_for("GB", [date(2026, 12, 28)])
    assert add_business_days(christmas_eve, 1, extra) == date(2026, 12, 29)
    assert calendar_for("US").business_days_between(date(2026, 7, 3), date(2026, 7, 7)) == 2


def test_bahrain_weekend_is_friday_and_saturday() -> None:
    thursday = date(2026, 1, 8)
    assert add_business_days(thursday, 1, calendar_for("BH")) == date(2026, 1, 11)  # Sunday


def test_absurd_counts_and_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        add_business_days(date(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 1, 1), MAX_BUSINESS_DAYS + 1)
    with pytest.raises(ValueError):
        add_business_days(date(1999, 12, 31), 1)
    with pytest.raises(ValueError):
        add_business_days(date(2100, 1, 1), 1)
    with pytest.raises(ValueError):
        WEEKENDS_ONLY.business_days_between(date(2026, 1, 1), date(2030, 1, 1))
    with pytest.raises(ValueError):
        BusinessCalendar("gb")


def test_every_country_of_the_tax_table_has_a_holiday_table() -> None:
    from domain.ledger.tax import STANDARD_RATES

    assert set(FIXED_HOLIDAYS) == set(STANDARD_RATES)
    for country, holidays in FIXED_HOLIDAYS.items():
        for month, day in holidays:
            date(2028, month, day)  # a real date, even in a leap year
        assert len(set(holidays)) == len(holidays), country
