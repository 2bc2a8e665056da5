"""Commission plans: what each reseller earns, by type, as effective-dated versions (seed §5.1).

A reseller's plan is a list of versions, each with an `effective_from` date and rules for the
five commission types. A new version never edits an old one and must start after the latest;
the rules in force on a date are those of the latest version effective on or before it.

Rules per type (amounts in the reseller's currency, rates in percent):
- setup: a fixed `amount`, or a `rate` of the customer's first invoice net, once per customer,
  in the period its first service becomes active;
- recurring: a `rate` of each customer payment (accrued when the payment is recorded);
- usage: a `rate` of the net of invoice lines of usage-type services (`service_types`);
- retention: fixed bonuses at tenure milestones (`months` of continuous active service);
- performance: volume tiers on the period's `active_customers` or `collected_revenue`; the
  highest tier whose `from` is at or below the measure applies (lower bound inclusive, the next
  tier's `from` exclusive); a tier pays a fixed `amount` or a `rate` of collected revenue.

This module also holds the pure date rules the period calculation uses: month arithmetic,
stretches of continuous active service, tenure anniversaries and tiers.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id

PLAN_TYPES = ("setup", "recurring", "usage", "retention", "performance")
PERFORMANCE_MEASURES = ("active_customers", "collected_revenue")
USAGE_SERVICE_TYPES = ("internet", "voice", "bundle", "value_added")
DEFAULT_USAGE_SERVICE_TYPES = ("voice", "value_added")
BILLABLE = frozenset({"active", "limited"})
MAX_VERSIONS = 500
MAX_MILESTONES = 12
MAX_TIERS = 20
MAX_MONTHS = 600
MAX_AMOUNT = Decimal("1000000000")


@dataclass(frozen=True, slots=True)
class Milestone:
    months: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Tier:
    threshold: Decimal
    amount: Decimal | None
    rate: Decimal | None


@dataclass(frozen=True, slots=True)
class PlanRules:
    """One version's rules, parsed and checked."""

    effective_from: date
    setup_amount: Decimal | None = None
    setup_rate: Decimal | None = None
    recurring_rate: Decimal | None = None
    usage_rate: Decimal | None = None
    usage_service_types: tuple[str, ...] = DEFAULT_USAGE_SERVICE_TYPES
    milestones: tuple[Milestone, ...] = ()
    performance_measure: str | None = None
    tiers: tuple[Tier, ...] = ()

    def rate(self, commission_type: str) -> Decimal:
        """The percentage this version pays for a type (0 when none, or when it is fixed)."""
        value = {
            "setup": self.setup_rate,
            "recurring": self.recurring_rate,
            "usage": self.usage_rate,
        }.get(commission_type)
        return Decimal(0) if value is None else value


def _decimal(value: Any, field: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(f"{field} must be a number", field=field) from None
    if not number.is_finite() or not low <= number <= high:
        raise DomainError(f"{field} must be between {low} and {high}", field=field)
    return number


def _rate(value: Any, field: str) -> Decimal:
    return _decimal(value, field, Decimal(0), Decimal(100))


def _amount(value: Any, field: str) -> Decimal:
    amount = _decimal(value, field, Decimal(0), MAX_AMOUNT)
    if amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise DomainError(f"{field} has too many decimal places", field=field)
    return amount


def parse_rules(effective_from: date, rules: Mapping[str, Any]) -> PlanRules:
    """Check a version's rules (JSON-shaped) and parse them; each refusal names its field."""
    unknown = sorted(set(rules) - set(PLAN_TYPES))
    if unknown:
        raise DomainError(f"unknown commission types {unknown}", field=unknown[0])
    if not rules:
        raise DomainError("a plan needs a rule for at least one type", field="recurring")
    parsed: dict[str, Any] = {"effective_from": effective_from}
    setup = rules.get("setup")
    if setup is not None:
        if ("amount" in setup) == ("rate" in setup):
            raise DomainError("setup is either a fixed amount or a rate", field="setup")
        if "amount" in setup:
            parsed["setup_amount"] = _amount(setup["amount"], "setup.amount")
        else:
            parsed["setup_rate"] = _rate(setup["rate"], "setup.rate")
    if rules.get("recurring") is not None:
        parsed["recurring_rate"] = _rate(rules["recurring"].get("rate"), "recurring.rate")
    usage = rules.get("usage")
    if usage is not None:
        parsed["usage_rate"] = _rate(usage.get("rate"), "usage.rate")
        types = tuple(usage.get("service_types") or DEFAULT_USAGE_SERVICE_TYPES)
        if not set(types) <= set(USAGE_SERVICE_TYPES):
            raise DomainError(
                f"usage.service_types are among {', '.join(USAGE_SERVICE_TYPES)}",
                field="usage.service_types",
            )
        parsed["usage_service_types"] = tuple(sorted(set(types)))
    retention = rules.get("retention")
    if retention is not None:
        milestones = [
            Milestone(int(m["months"]), _amount(m["amount"], "retention.milestones.amount"))
            for m in retention.get("milestones", [])
        ]
        months = [m.months for m in milestones]
        if not 1 <= len(milestones) <= MAX_MILESTONES or len(set(months)) != len(months):
            raise DomainError(
                f"retention has 1-{MAX_MILESTONES} milestones, each a different tenure",
                field="retention.milestones",
            )
        if not all(1 <= m <= MAX_MONTHS for m in months):
            raise DomainError(
                f"a milestone is 1-{MAX_MONTHS} months", field="retention.milestones.months"
            )
        parsed["milestones"] = tuple(sorted(milestones, key=lambda m: m.months))
    performance = rules.get("performance")
    if performance is not None:
        parsed.update(_performance(performance))
    return PlanRules(**parsed)


def _performance(performance: Mapping[str, Any]) -> dict[str, Any]:
    measure = performance.get("measure")
    if measure not in PERFORMANCE_MEASURES:
        raise DomainError(
            f"performance.measure is one of {', '.join(PERFORMANCE_MEASURES)}",
            field="performance.measure",
        )
    tiers = []
    for raw in performance.get("tiers", []):
        if ("amount" in raw) == ("rate" in raw):
            raise DomainError(
                "a tier pays either a fixed amount or a rate", field="performance.tiers"
            )
        tiers.append(
            Tier(
                _amount(raw["from"], "performance.tiers.from"),
                None if "amount" not in raw else _amount(raw["amount"], "performance.tiers.amount"),
                None if "rate" not in raw else _rate(raw["rate"], "performance.tiers.rate"),
            )
        )
    thresholds = [t.threshold for t in tiers]
    if not 1 <= len(tiers) <= MAX_TIERS or len(set(thresholds)) != len(thresholds):
        raise DomainError(
            f"performance has 1-{MAX_TIERS} tiers with different thresholds",
            field="performance.tiers",
        )
    return {
        "performance_measure": measure,
        "tiers": tuple(sorted(tiers, key=lambda t: t.threshold)),
    }


def tier_for(tiers: Sequence[Tier], measure: Decimal) -> Tier | None:
    """The highest tier whose threshold is at or below the measure (a measure exactly on a
    threshold reaches that tier); None below the first."""
    reached = None
    for tier in sorted(tiers, key=lambda t: t.threshold):
        if measure >= tier.threshold:
            reached = tier
    return reached


def commission_plan_id(reseller_number: int) -> UUID:
    return derived_id("commission-plan", reseller_number)


class CommissionPlan(Aggregate):
    """A reseller's commission plan: its versions, oldest first."""

    class Created(Aggregate.Created):
        reseller_number: int

    @event(Created)
    def __init__(self, reseller_number: int) -> None:
        self.reseller_number = reseller_number
        self.versions: list[dict[str, Any]] = []

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return commission_plan_id(reseller_number)

    class VersionAdded(Aggregate.Event):
        version: int
        effective_from: date
        rules: dict[str, Any]

    @event(VersionAdded)
    def _add_version(self, version: int, effective_from: date, rules: dict[str, Any]) -> None:
        self.versions = [
            *self.versions,
            {"version": version, "effective_from": effective_from, "rules": rules},
        ]

    def add_version(self, effective_from: date, rules: dict[str, Any]) -> int:
        """Add a version (the rules as given, JSON-shaped); returns its number."""
        parse_rules(effective_from, rules)
        if len(self.versions) >= MAX_VERSIONS:
            raise DomainError("this plan has too many versions", field="effective_from")
        if self.versions and effective_from <= self.versions[-1]["effective_from"]:
            raise DomainError(
                "a new version must start after the latest one "
                f"({self.versions[-1]['effective_from'].isoformat()}); old versions never change",
                field="effective_from",
            )
        number = len(self.versions) + 1
        self._add_version(number, effective_from, rules)
        return number

    def rules_on(self, day: date) -> PlanRules | None:
        """The version in force on a day, or None before the first."""
        found = None
        for version in self.versions:
            if version["effective_from"] <= day:
                found = version
        if found is None:
            return None
        return parse_rules(found["effective_from"], found["rules"])


# -- dates --------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_period(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12 or not 1900 <= year <= 9999:
        raise DomainError("period must be a month YYYY-MM", field="period")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


Stretch = tuple[date, date | None]
"""Continuous active service: first day, last day (None: still active)."""


def active_stretches(histories: Iterable[Sequence[Mapping[str, Any]]]) -> list[Stretch]:
    """Stretches of continuous active service over all of a customer's services: days on which
    at least one service was active or limited. Each history is a service's dated entries
    ({"on": date, "status": str}, oldest first); a change applies from its day on."""
    intervals: list[Stretch] = []
    for history in histories:
        start: date | None = None
        for entry in history:
            billable = entry["status"] in BILLABLE
            if billable and start is None:
                start = entry["on"]
            elif not billable and start is not None:
                if entry["on"] > start:
                    intervals.append((start, entry["on"] - timedelta(days=1)))
                start = None
        if start is not None:
            intervals.append((start, None))
    merged: list[Stretch] = []
    for begin, end in sorted(intervals, key=lambda i: i[0]):
        if merged:
            last_begin, last_end = merged[-1]
            if last_end is None or begin <= last_end + timedelta(days=1):
                later = None if last_end is None or end is None else max(last_end, end)
                merged[-1] = (last_begin, later)
                continue
        merged.append((begin, end))
    return merged


def active_on(stretches: Sequence[Stretch], day: date) -> bool:
    return any(begin <= day and (end is None or day <= end) for begin, end in stretches)


def anniversaries_in(
    stretches: Sequence[Stretch], milestones: Sequence[Milestone], start: date, end: date
) -> list[tuple[Milestone, date, date]]:
    """(milestone, stretch start, anniversary) for each milestone whose anniversary falls in
    [start, end] while the stretch of service is still unbroken on that day."""
    found = []
    for begin, stretch_end in stretches:
        for milestone in milestones:
            anniversary = add_months(begin, milestone.months)
            if start <= anniversary <= end and (stretch_end is None or anniversary <= stretch_end):
                found.append((milestone, begin, anniversary))
    return found


def capped_rates(chain: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """Rates along a chain (child first), each capped at its parent's capped rate, so no
    sub-reseller ever earns more than its parent and the total is the top-level rate."""
    capped: list[tuple[int, Decimal]] = []
    ceiling: Decimal | None = None
    for number, rate in reversed(chain):
        ceiling = rate if ceiling is None else min(rate, ceiling)
        capped.append((number, ceiling))
    return list(reversed(capped))
