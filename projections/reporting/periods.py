"""Calendar periods of a report: months, quarters and years, clipped to its range."""

from __future__ import annotations

from datetime import date, timedelta

from projections.reporting.figures import ReportError

MAX_PERIODS = 120


def months_in(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def period_end(start: date, granularity: str) -> date:
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    return month_start(start, -months) - timedelta(days=1)


def period_label(start: date, granularity: str) -> str:
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    if granularity == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def periods(granularity: str, date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """Calendar periods covering [date_from, date_to], each clipped to the range."""
    first = date_from.replace(day=1)
    if granularity == "quarter":
        first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
    elif granularity == "year":
        first = first.replace(month=1)
    found: list[tuple[str, date, date]] = []
    start = first
    while start <= date_to:
        end = period_end(start, granularity)
        found.append((period_label(start, granularity), max(start, date_from), min(end, date_to)))
        if len(found) > MAX_PERIODS:
            raise ReportError(f"at most {MAX_PERIODS} periods per report", field="date_from")
        start = end + timedelta(days=1)
    return found


def default_range(today: date, granularity: str) -> tuple[date, date]:
    back = {"month": 11, "quarter": 9, "year": 24}.get(granularity, 11)
    start = month_start(today, back)
    if granularity == "quarter":
        start = start.replace(month=3 * ((start.month - 1) // 3) + 1)
    if granularity == "year":
        start = start.replace(month=1)
    return start, today
