"""Service-level targets of tickets (seed §15.1 "SLA settings").

Each reseller sets, per priority, a first-response and a resolution target in business
minutes on its calendar (`business_hours`). The clock runs from the ticket's creation, stops
while the ticket is Pending Customer (each pause is an interval), and is met by the first
customer-visible reply of the support side (first response) or the first resolution. A breach
is recorded once per target on the ticket; whether it also escalates is the desk's setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.support.business_hours import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds,
)
from domain.support.ticket_terms import PRIORITIES

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
KINDS = (FIRST_RESPONSE, RESOLUTION)
MAX_TARGET_MINUTES = 60 * 24 * 90

DEFAULT_TARGETS_MINUTES: dict[str, tuple[int, int]] = {
    "emergency": (15, 240),
    "urgent": (60, 480),
    "high": (240, 1_440),
    "medium": (480, 2_880),
    "low": (960, 4_800),
}
"""(first response, resolution) in business minutes, until the reseller sets its own."""
if tuple(DEFAULT_TARGETS_MINUTES) != PRIORITIES:
    raise RuntimeError("every priority needs a default SLA target")

Pause = tuple[datetime, datetime | None]
"""A Pending Customer interval: from, to (None while it lasts)."""


@dataclass(frozen=True, slots=True)
class Clock:
    """What an SLA clock needs from a ticket."""

    started_at: datetime
    pauses: Sequence[Pause]


def _active_intervals(clock: Clock) -> list[tuple[datetime, datetime | None]]:
    """The running intervals of the clock from its start (the last one open while running)."""
    intervals: list[tuple[datetime, datetime | None]] = []
    cursor: datetime | None = clock.started_at
    for paused_from, paused_to in sorted(clock.pauses, key=lambda p: p[0]):
        if cursor is None:
            break
        if paused_from > cursor:
            intervals.append((cursor, paused_from))
        cursor = None if paused_to is None else max(cursor, paused_to)
    if cursor is not None:
        intervals.append((cursor, None))
    return intervals


def elapsed_seconds(calendar: BusinessCalendar, clock: Clock, until: datetime) -> int:
    """Business seconds the clock has run up to `until` (pauses excluded)."""
    total = 0
    for start, end in _active_intervals(clock):
        if start >= until:
            break
        total += business_seconds(calendar, start, until if end is None else min(end, until))
    return total


def due_at(calendar: BusinessCalendar, clock: Clock, target_seconds: int) -> datetime | None:
    """When the target runs out, or None if the clock is paused before it does."""
    remaining = target_seconds
    for start, end in _active_intervals(clock):
        if end is None:
            return add_business_seconds(calendar, start, remaining)
        available = business_seconds(calendar, start, end)
        if remaining < available:
            return add_business_seconds(calendar, start, remaining)
        remaining -= available
    return None


def is_breached(
    calendar: BusinessCalendar,
    clock: Clock,
    target_seconds: int,
    met_at: datetime | None,
    now: datetime,
) -> bool:
    """True when more business time than the target ran before it was met (or, while unmet,
    before `now`)."""
    until = now if met_at is None else min(met_at, now)
    return elapsed_seconds(calendar, clock, until) > target_seconds
