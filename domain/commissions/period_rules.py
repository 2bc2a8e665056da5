"""The rules of a period's commission calculation (seed §5.1), as pure functions over the facts
a calculation gathers: which customers earn setup in the period, the usage base of an invoice,
what was collected, the performance measure, and the plan versions in force during it.
`commands.commissions.periods` loads the facts and records what these rules decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.commissions.plans import DEFAULT_USAGE_SERVICE_TYPES, PlanRules, active_on
from domain.ledger.money import Money


@dataclass
class CustomerFacts:
    """What a calculation knows of one customer: its active stretches, its services' types,
    its invoices (id, period start, lines, net) and its payments (day, amount)."""

    customer_id: UUID
    stretches: list[tuple[date, date | None]]
    service_types: dict[str, str]
    invoices: list[dict[str, Any]] = field(default_factory=list)
    payments: list[tuple[date, Money]] = field(default_factory=list)

    @property
    def first_active(self) -> date | None:
        return self.stretches[0][0] if self.stretches else None


def setup_day(facts: CustomerFacts, start: date, end: date) -> date | None:
    """The day the customer became active, when it falls in the period (setup is earned then)."""
    began = facts.first_active
    return began if began is not None and start <= began <= end else None


def first_invoice(facts: CustomerFacts) -> dict[str, Any] | None:
    """The customer's first invoice (by period start, then id): the setup percentage's base."""
    if not facts.invoices:
        return None
    return min(facts.invoices, key=lambda i: (i["starts"], i["invoice_id"]))


def usage_service_types(rules: PlanRules | None) -> frozenset[str]:
    """The service types the customer's own reseller's plan calls usage-based (an ancestor's
    plan is not consulted); a plan naming none means the default ones."""
    types = frozenset(rules.usage_service_types) if rules is not None else frozenset()
    return types or frozenset(DEFAULT_USAGE_SERVICE_TYPES)


def usage_base(
    facts: CustomerFacts, invoice: dict[str, Any], types: Iterable[str], currency: str
) -> Money:
    """The net of an invoice's lines for usage-based services."""
    wanted = set(types)
    base = Money.zero(currency)
    for line in invoice["lines"]:
        if facts.service_types.get(str(line.get("service_id"))) in wanted:
            base = base + line["net"]
    return base


def collected_between(
    everyone: Sequence[CustomerFacts], start: date, end: date, currency: str
) -> Money:
    """What the customers paid with effective dates in [start, end]."""
    collected = Money.zero(currency)
    for facts in everyone:
        for day, amount in facts.payments:
            if start <= day <= end:
                collected = collected + amount
    return collected


def performance_measure(
    measure: str, everyone: Sequence[CustomerFacts], end: date, collected: Money
) -> Decimal:
    """The figure a performance tier is chosen by: active customers on the period's last day,
    or the amount collected."""
    if measure == "active_customers":
        return Decimal(sum(1 for f in everyone if active_on(f.stretches, end)))
    return collected.amount


def plan_versions_in(
    rules_on: Callable[[date], PlanRules | None], start: date, end: date
) -> list[PlanRules]:
    """Each plan version in force on some day of [start, end], once, in order of first use."""
    versions: dict[date, PlanRules] = {}
    for offset in range((end - start).days + 1):
        rules = rules_on(start + timedelta(days=offset))
        if rules is not None:
            versions.setdefault(rules.effective_from, rules)
    return list(versions.values())
