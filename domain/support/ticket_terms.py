"""The vocabulary of support tickets: statuses, priorities, categories, escalation levels
and the limits on what a ticket holds, with the text check every ticket field uses."""

from __future__ import annotations

from domain.ledger.errors import DomainError

STATUSES = (
    "new",
    "assigned",
    "in_progress",
    "pending_customer",
    "escalated",
    "resolved",
    "closed",
)
"""The seed's Ticket Status terms: New, Assigned, In Progress, Pending Customer, Escalated,
Resolved, Closed."""
PRIORITIES = ("emergency", "urgent", "high", "medium", "low")
"""The seed's Priority Levels: Emergency, Urgent, High, Medium, Low."""
BASE_CATEGORIES = (
    "technical",
    "billing_inquiry",
    "service_request",
    "complaint_feedback",
    "emergency",
)
"""Seed §9.1's ticket categories; the master ISP may add more (`desk.SupportCategories`)."""
LEVELS = ("level_1", "level_2", "level_3", "emergency")
ISP_LEVELS = frozenset({"level_3", "emergency"})
SOURCES = ("customer", "reseller", "internal")
AUTHOR_KINDS = ("customer", "support", "isp")
VISIBILITIES = ("public", "internal")
OPEN_STATUSES = frozenset(STATUSES) - {"resolved", "closed"}
MAX_SUBJECT = 200
MAX_TEXT = 10_000
MAX_MESSAGES = 500
MAX_ATTACHMENTS_PER_MESSAGE = 3
MAX_ATTACHMENTS = 20
MAX_ARTICLES = 20
SATISFACTION = range(1, 6)


def text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise DomainError(f"{field} must be 1-{limit} characters", field=field)
    return value


def next_level(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None
