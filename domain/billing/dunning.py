"""Failed payments: when the payment is retried after each failed attempt."""

from __future__ import annotations

RETRY_AFTER_DAYS = (1, 3, 7)
"""Days to wait before retrying after the 1st, 2nd and 3rd failed attempt; after the 3rd the
payment is not retried automatically."""


def retry_after_days(attempt: int) -> int | None:
    """The wait before the next retry after failed attempt number `attempt` (counted from 1),
    or None when no retry follows."""
    if attempt > len(RETRY_AFTER_DAYS):
        return None
    return RETRY_AFTER_DAYS[min(attempt, len(RETRY_AFTER_DAYS)) - 1]
