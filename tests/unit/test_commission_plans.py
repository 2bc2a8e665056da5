"""Plan versions, tiers, tenure and the pass-through cap, as pure rules (no I/O)."""

from datetime import date
from decimal import Decimal

import pytest

from domain.commissions.payment_commissions import PaymentCommissions
from domain.commissions.plans import (
    CommissionPlan,
    Milestone,
    Tier,
    active_on,
    active_stretches,
    add_months,
    anniversaries_in,
    capped_rates,
    month_period,
    tier_for,
)
from domain.commissions.records import Commission, commission_on
from domain.ledger.errors import DomainError
from domain.ledger.money import Money

D = date.fromisoformat


def test_the_seed_example():
    assert commission_on(Money.of("99.99", "USD"), Decimal("15.00")) == Money.of("14.99", "USD")


def test_a_version_applies_from_its_effective_day_and_never_changes():
    plan = CommissionPlan(7)
    plan.add_version(D("2024-01-01"), {"recurring": {"rate": "10"}})
    plan.add_version(D("2024-03-15"), {"recurring": {"rate": "15"}})
    assert plan.rules_on(D("2023-12-31")) is None
    assert plan.rules_on(D("2024-03-14")).recurring_rate == Decimal(10)  # type: ignore[union-attr]
    assert plan.rules_on(D("2024-03-15")).recurring_rate == Decimal(15)  # type: ignore[union-attr]
    with pytest.raises(DomainError) as refused:
        plan.add_version(D("2024-03-15"), {"recurring": {"rate": "20"}})
    assert refused.value.field == "effective_from"
    assert [v["version"] for v in plan.versions] == [1, 2]


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({}, "recurring"),
        ({"bonus": {}}, "bonus"),
        ({"setup": {"amount": "1", "rate": "2"}}, "setup"),
        ({"recurring": {"rate": "100.01"}}, "recurring.rate"),
        ({"usage": {"rate": "5", "service_types": ["fax"]}}, "usage.service_types"),
        ({"retention": {"milestones": []}}, "retention.milestones"),
        ({"performance": {"measure": "smiles", "tiers": []}}, "performance.measure"),
        (
            {"performance": {"measure": "active_customers", "tiers": [{"from": "1"}]}},
            "performance.tiers",
        ),
    ],
)
def test_bad_rules_name_their_field(rules, field):
    with pytest.raises(DomainError) as refused:
        CommissionPlan(1).add_version(D("2024-01-01"), rules)
    assert refused.value.field == field


TIERS = [Tier(Decimal(10), Decimal(100), None), Tier(Decimal(50), None, Decimal(2))]


@pytest.mark.parametrize(
    ("measure", "reached"),
    [("9.99", None), ("10", 0), ("10.01", 0), ("49", 0), ("50", 1), ("1000", 1)],
)
def test_a_tier_is_reached_exactly_on_its_threshold(measure, reached):
    tier = tier_for(TIERS, Decimal(measure))
    assert tier is (None if reached is None else TIERS[reached])


@pytest.mark.parametrize(
    ("start", "months", "anniversary"),
    [
        ("2023-03-15", 12, "2024-03-15"),
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2023-12-31", 2, "2024-02-29"),
        ("2022-02-28", 24, "2024-02-28"),
    ],
)
def test_anniversaries_clamp_to_the_month_end(start, months, anniversary):
    assert add_months(D(start), months) == D(anniversary)


def test_month_periods_end_on_the_last_day():
    assert month_period(2024, 2) == (D("2024-02-01"), D("2024-02-29"))
    assert month_period(2023, 12) == (D("2023-12-01"), D("2023-12-31"))
    with pytest.raises(DomainError):
        month_period(2024, 13)


def test_stretches_merge_services_and_break_on_gaps():
    internet = [
        {"on": D("2023-01-01"), "status": "pending"},
        {"on": D("2023-01-10"), "status": "active"},
        {"on": D("2023-06-01"), "status": "suspended"},
        {"on": D("2023-07-01"), "status": "active"},
    ]
    voice = [
        {"on": D("2023-05-20"), "status": "active"},
        {"on": D("2023-06-10"), "status": "terminated"},
    ]
    stretches = active_stretches([internet, voice])
    # Voice covers 20 May - 9 June; 10-30 June nothing is active.
    assert stretches == [(D("2023-01-10"), D("2023-06-09")), (D("2023-07-01"), None)]
    assert active_on(stretches, D("2023-06-09")) and not active_on(stretches, D("2023-06-10"))


@pytest.mark.parametrize(
    ("ends", "in_march"),
    [(None, True), ("2024-03-15", True), ("2024-03-14", False)],
)
def test_a_milestone_counts_only_if_service_lasts_its_anniversary(ends, in_march):
    stretches = [(D("2023-03-15"), None if ends is None else D(ends))]
    found = anniversaries_in(
        stretches, [Milestone(12, Decimal(50))], D("2024-03-01"), D("2024-03-31")
    )
    assert bool(found) is in_march


def test_a_child_rate_is_capped_at_its_parent():
    assert capped_rates([(3, Decimal(20)), (2, Decimal(12)), (1, Decimal(15))]) == [
        (3, Decimal(12)),
        (2, Decimal(12)),
        (1, Decimal(15)),
    ]


def test_voiding_a_posted_record_reverses_its_entry():
    record = Commission.record(
        Commission.create_id(),
        4,
        None,
        "setup",
        Money.of("25.00", "USD"),
        Decimal(100),
        Money.of("25.00", "USD"),
        (D("2024-01-01"), D("2024-01-31")),
        "calculated",
        None,
        "period:2024-01-01",
    )
    record.void("wrong customer")
    postings = [p for e in record.collect_events() for p in getattr(e, "postings", [])]
    net: dict[str, Decimal] = {}
    for p in postings:
        net[p.account] = net.get(p.account, Decimal(0)) + (
            p.money.amount if p.side.value == "debit" else -p.money.amount
        )
    assert len(postings) == 4
    assert set(net.values()) == {Decimal(0)}


def test_the_holding_period_ends_the_day_before_hold_until():
    basis = PaymentCommissions(
        "payment:x", Commission.create_id(), Money.of("10", "USD"), D("2024-05-10"),
        D("2024-06-09"), [[1, "10"]], [],
    )  # fmt: skip
    assert basis.within_holding_period(D("2024-06-08"))
    assert not basis.within_holding_period(D("2024-06-09"))
    with pytest.raises(DomainError):
        basis.reverse("refund:1", Money.of("10.01", "USD"), D("2024-06-08"), "voided", [])
