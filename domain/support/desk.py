"""Each reseller's support desk: ticket numbering, routing rules, SLA targets, the business
calendar and the closure windows (seed §15.1 "Ticket Routing", "SLA settings"); and the master
ISP's extra ticket categories (§9.1's five, extensible by the ISP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.support.business_hours import BusinessCalendar
from domain.support.sla import DEFAULT_TARGETS_MINUTES, MAX_TARGET_MINUTES
from domain.support.ticket_terms import BASE_CATEGORIES, PRIORITIES

MAX_RULES = 50
MAX_EXTRA_CATEGORIES = 200
DEFAULT_REOPEN_DAYS = 7
DEFAULT_AUTO_CLOSE_DAYS = 5
MAX_WINDOW_DAYS = 90


def desk_id(reseller_number: int) -> UUID:
    return derived_id("support-desk", reseller_number)


def categories_id() -> UUID:
    return derived_id("support-categories", "isp")


def _route_matches(rule: dict[str, Any], category: str, priority: str) -> bool:
    return rule.get("category") in (None, category) and rule.get("priority") in (None, priority)


class SupportDesk(Aggregate):
    """A reseller's desk settings and ticket counter (one per reseller)."""

    class Opened(Aggregate.Created):
        reseller_number: int

    @event(Opened)
    def __init__(self, reseller_number: int) -> None:
        self.reseller_number = reseller_number
        self.tickets_opened = 0
        self.rules: list[dict[str, Any]] = []
        self.targets_minutes: dict[str, list[int]] = {
            p: list(t) for p, t in DEFAULT_TARGETS_MINUTES.items()
        }
        self.calendar_record: dict[str, Any] = BusinessCalendar().record()
        self.auto_escalate = False
        self.reopen_days = DEFAULT_REOPEN_DAYS
        self.auto_close_days = DEFAULT_AUTO_CLOSE_DAYS

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return desk_id(reseller_number)

    @property
    def calendar(self) -> BusinessCalendar:
        c = self.calendar_record
        return BusinessCalendar.of(
            c["timezone"], c["opens"], c["closes"], c["workdays"], c["holidays"]
        )

    def targets_s(self, priority: str) -> tuple[int, int]:
        first, resolution = self.targets_minutes[priority]
        return first * 60, resolution * 60

    def route(self, category: str, priority: str) -> tuple[str | None, str | None, int | None]:
        """(assignee, queue, rule index) of the first rule that matches, else nobody."""
        for index, rule in enumerate(self.rules):
            if _route_matches(rule, category, priority):
                return rule.get("assignee"), rule.get("queue"), index
        return None, None, None

    class TicketNumbered(Aggregate.Event):
        number: int

    @event(TicketNumbered)
    def _number(self, number: int) -> None:
        self.tickets_opened = number

    def next_ticket_number(self) -> str:
        number = self.tickets_opened + 1
        self._number(number)
        return f"T{self.reseller_number}-{number:06d}"

    class SettingsChanged(Aggregate.Event):
        rules: list[dict[str, Any]]
        targets_minutes: dict[str, list[int]]
        calendar: dict[str, Any]
        auto_escalate: bool
        reopen_days: int
        auto_close_days: int

    @event(SettingsChanged)
    def _set(
        self,
        rules: list[dict[str, Any]],
        targets_minutes: dict[str, list[int]],
        calendar: dict[str, Any],
        auto_escalate: bool,
        reopen_days: int,
        auto_close_days: int,
    ) -> None:
        self.rules = rules
        self.targets_minutes = targets_minutes
        self.calendar_record = calendar
        self.auto_escalate = auto_escalate
        self.reopen_days = reopen_days
        self.auto_close_days = auto_close_days

    def change_settings(
        self,
        rules: Sequence[dict[str, Any]],
        targets_minutes: dict[str, tuple[int, int]],
        calendar: BusinessCalendar,
        auto_escalate: bool,
        reopen_days: int,
        auto_close_days: int,
        categories: Sequence[str],
        team: set[str],
    ) -> None:
        """Replace the settings; `team` holds the ids of the reseller's users (assignees)."""
        if len(rules) > MAX_RULES:
            raise DomainError(f"at most {MAX_RULES} routing rules", field="routing_rules")
        clean = []
        for index, rule in enumerate(rules):
            field = f"routing_rules.{index}"
            if rule.get("category") not in (None, *categories):
                raise DomainError("unknown category", field=f"{field}.category")
            if rule.get("priority") not in (None, *PRIORITIES):
                raise DomainError("unknown priority", field=f"{field}.priority")
            if (rule.get("assignee") is None) == (rule.get("queue") is None):
                raise DomainError("a rule routes to a team member or a queue", field=field)
            if rule.get("assignee") is not None and rule["assignee"] not in team:
                raise DomainError("no such team member", field=f"{field}.assignee_user_id")
            clean.append({k: rule.get(k) for k in ("category", "priority", "assignee", "queue")})
        targets = {p: list(t) for p, t in self.targets_minutes.items()}
        for priority, (first, resolution) in targets_minutes.items():
            field = f"sla_targets.{priority}"
            if priority not in PRIORITIES:
                raise DomainError("unknown priority", field=field)
            if not 1 <= first <= resolution <= MAX_TARGET_MINUTES:
                raise DomainError(
                    f"targets are 1-{MAX_TARGET_MINUTES} minutes, first response <= resolution",
                    field=field,
                )
            targets[priority] = [first, resolution]
        for name, days in (("reopen_days", reopen_days), ("auto_close_days", auto_close_days)):
            if not 1 <= days <= MAX_WINDOW_DAYS:
                raise DomainError(f"{name} is 1-{MAX_WINDOW_DAYS}", field=name)
        self._set(clean, targets, calendar.record(), auto_escalate, reopen_days, auto_close_days)

    def settings_view(self) -> dict[str, Any]:
        return {
            "reseller_id": self.reseller_number,
            "routing_rules": [
                {
                    "category": r["category"],
                    "priority": r["priority"],
                    "assignee_user_id": r["assignee"],
                    "queue": r["queue"],
                }
                for r in self.rules
            ],
            "sla_targets": {
                p: {"first_response_minutes": t[0], "resolution_minutes": t[1]}
                for p, t in self.targets_minutes.items()
            },
            "calendar": dict(self.calendar_record),
            "auto_escalate_on_breach": self.auto_escalate,
            "reopen_days": self.reopen_days,
            "auto_close_days": self.auto_close_days,
            "version": self.version,
        }


class SupportCategories(Aggregate):
    """The master ISP's ticket categories beyond §9.1's five (one for the whole ISP)."""

    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.extra: list[dict[str, str]] = []

    @staticmethod
    def create_id() -> UUID:
        return categories_id()

    @property
    def names(self) -> list[str]:
        return [*BASE_CATEGORIES, *(c["name"] for c in self.extra)]

    class CategoryAdded(Aggregate.Event):
        name: str
        label: str

    @event(CategoryAdded)
    def _add(self, name: str, label: str) -> None:
        self.extra = [*self.extra, {"name": name, "label": label}]

    def add(self, name: str, label: str) -> bool:
        if name in self.names:
            return False
        if len(self.extra) >= MAX_EXTRA_CATEGORIES:
            raise DomainError(f"at most {MAX_EXTRA_CATEGORIES} extra categories", field="name")
        self._add(name, label.strip() or name)
        return True
