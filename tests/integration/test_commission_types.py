"""Every commission type, case by case, through the real commands and store (seed §5.1):
plan versions on their effective day, month ends, tenure milestones exactly on the anniversary,
tiers exactly on their boundary, pass-through along sub-reseller chains; and running a period
calculation again creates nothing new."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.commission_world import (
    bill,
    calculate,
    commission,
    customer,
    pay,
    plan,
    reseller,
    service,
    summary,
    tariff,
)

Row = tuple[str, int, str]


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Any], tuple[list[Row], list[Row]]]
    """Builds the scenario; returns (what was recorded, what the rules call for)."""


def _active_customer(store: Any, number: int, since: str, *later: tuple[str, str]) -> Any:
    who = customer(store, number)
    service(store, who, tariff(store, number), [(since, "active"), *later])
    return who


# -- setup ------------------------------------------------------------------------------------


def setup_on_the_effective_day(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    plan(store, r.number, "2024-01-01", setup={"amount": "25.00"})
    plan(store, r.number, "2024-03-15", setup={"amount": "40.00"})
    _active_customer(store, r.number, "2024-03-14")  # the old version's last day
    _active_customer(store, r.number, "2024-03-15")  # the new version's first day
    got = summary(calculate(store, r.number, "2024-03")["created"])
    return got, [("setup", r.number, "25.00"), ("setup", r.number, "40.00")]


def setup_on_the_last_day_of_the_month(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    plan(store, r.number, "2024-01-01", setup={"amount": "25.00"})
    _active_customer(store, r.number, "2024-02-29")  # leap day: February's last
    february = summary(calculate(store, r.number, "2024-02")["created"])
    march = summary(calculate(store, r.number, "2024-03")["created"])
    return february + march, [("setup", r.number, "25.00")]


def setup_rate_passes_through(store: Any) -> tuple[list[Row], list[Row]]:
    parent = reseller(store)
    child = reseller(store, "8.00", parent=parent.number)
    plan(store, parent.number, "2024-01-01", setup={"rate": "10.00"})
    plan(store, child.number, "2024-01-01", setup={"rate": "6.00"})
    who = _active_customer(store, child.number, "2024-05-01")
    assert bill(store, who, "2024-05-01", "2024-05-31")["net"] == "40.00"
    got = summary(calculate(store, child.number, "2024-05")["created"])
    # 6% of 40.00 to the child; the parent its 10% less the child's 6%.
    return got, [("setup", child.number, "2.40"), ("setup", parent.number, "1.60")]


# -- recurring --------------------------------------------------------------------------------


def _paid(store: Any, who: Any, amount: str, on: str) -> list[Row]:
    body = pay(store, who, amount, on)
    records = [commission(store, c) for c in body["commissions"]]
    return [("recurring", c.reseller_number, str(c.commission_amount.amount)) for c in records]


def recurring_on_the_effective_day(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store, "10.00")
    plan(store, r.number, "2024-02-01", recurring={"rate": "15.00"})
    who = customer(store, r.number)
    got = _paid(store, who, "99.99", "2024-01-31") + _paid(store, who, "99.99", "2024-02-01")
    # No version in force on 31 Jan: commission_percent (10%); from 1 Feb the plan's 15%,
    # which is the seed's example: 15% of 99.99 = 14.99.
    return sorted(got), sorted([("recurring", r.number, "9.99"), ("recurring", r.number, "14.99")])


def recurring_passes_through_and_is_capped(store: Any) -> tuple[list[Row], list[Row]]:
    parent = reseller(store, "10.00")
    child = reseller(store, "8.00", parent=parent.number)
    plan(store, parent.number, "2024-01-01", recurring={"rate": "15.00"})
    plan(store, child.number, "2024-01-01", recurring={"rate": "8.00"})
    plan(store, child.number, "2024-03-01", recurring={"rate": "20.00"})
    who = customer(store, child.number)
    split = _paid(store, who, "99.99", "2024-02-10")
    capped = _paid(store, who, "99.99", "2024-03-10")
    return sorted(split + capped), sorted(
        [
            ("recurring", child.number, "7.99"),
            ("recurring", parent.number, "7.00"),
            # The child's 20% is capped at its parent's 15%: never more than the top level.
            ("recurring", child.number, "14.99"),
        ]
    )


# -- usage ------------------------------------------------------------------------------------


def _voice_and_internet(store: Any, number: int, since: str) -> Any:
    who = customer(store, number)
    service(store, who, tariff(store, number, "voice", "40.00"), [(since, "active")])
    service(store, who, tariff(store, number, "internet", "30.00"), [(since, "active")])
    return who


def usage_by_month_and_version(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    plan(store, r.number, "2024-01-01", usage={"rate": "5.00"})
    plan(store, r.number, "2024-02-01", usage={"rate": "10.00"})
    who = _voice_and_internet(store, r.number, "2023-12-20")
    bill(store, who, "2024-01-01", "2024-01-31")
    bill(store, who, "2024-02-01", "2024-02-29")
    january = summary(calculate(store, r.number, "2024-01")["created"])
    february = summary(calculate(store, r.number, "2024-02")["created"])
    # Only the voice line (40.00) is usage; January at 5%, February (its own invoice, from the
    # new version's first day) at 10%.
    return january + february, [("usage", r.number, "2.00"), ("usage", r.number, "4.00")]


def usage_passes_through(store: Any) -> tuple[list[Row], list[Row]]:
    parent = reseller(store)
    child = reseller(store, "8.00", parent=parent.number)
    plan(store, parent.number, "2024-01-01", usage={"rate": "5.00"})
    plan(store, child.number, "2024-01-01", usage={"rate": "3.00"})
    who = _voice_and_internet(store, child.number, "2024-01-01")
    bill(store, who, "2024-01-01", "2024-01-31")
    got = summary(calculate(store, child.number, "2024-01")["created"])
    return got, [("usage", child.number, "1.20"), ("usage", parent.number, "0.80")]


# -- retention --------------------------------------------------------------------------------


def _retention_plan(store: Any, number: int) -> None:
    plan(
        store,
        number,
        "2020-01-01",
        retention={"milestones": [{"months": 12, "amount": "50.00"}, {"months": 1, "amount": "5"}]},
    )


def retention_exactly_on_the_anniversary(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    _retention_plan(store, r.number)
    _active_customer(store, r.number, "2023-03-15")
    february = summary(calculate(store, r.number, "2024-02")["created"])
    march = summary(calculate(store, r.number, "2024-03")["created"])
    # 12 months are reached on 15 March 2024, not in February.
    return february + march, [("retention", r.number, "50.00")]


def retention_needs_service_on_the_anniversary(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    _retention_plan(store, r.number)
    # Terminated on the anniversary: the last day of service is the day before. No bonus.
    _active_customer(store, r.number, "2022-03-15", ("2023-03-15", "terminated"))
    # Terminated the day after: it was active on the anniversary. Bonus.
    _active_customer(store, r.number, "2022-03-15", ("2023-03-16", "terminated"))
    got = summary(calculate(store, r.number, "2023-03")["created"])
    return got, [("retention", r.number, "50.00")]


def retention_at_a_month_end_and_after_a_break(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    _retention_plan(store, r.number)
    # 31 Jan + 1 month is 28 Feb (clamped to the month's end).
    _active_customer(store, r.number, "2021-01-31", ("2021-03-10", "terminated"))
    # Suspended for a while: tenure starts again at the reactivation (10 June 2021).
    _active_customer(
        store, r.number, "2021-01-10", ("2021-06-01", "suspended"), ("2021-06-10", "active")
    )
    february = summary(calculate(store, r.number, "2021-02")["created"])
    january_next = summary(calculate(store, r.number, "2022-01")["created"])
    june_next = summary(calculate(store, r.number, "2022-06")["created"])
    return february + january_next + june_next, [
        ("retention", r.number, "5.00"),  # 1 month for the first, on 28 Feb 2021
        ("retention", r.number, "5.00"),  # the second's first month (10 Feb 2021)
        ("retention", r.number, "50.00"),  # 12 months after the break: 10 June 2022
    ]


# -- performance ------------------------------------------------------------------------------

ACTIVE_TIERS = {
    "measure": "active_customers",
    "tiers": [{"from": "2", "amount": "100.00"}, {"from": "3", "amount": "150.00"}],
}


def performance_on_a_tier_boundary(store: Any) -> tuple[list[Row], list[Row]]:
    rows: list[Row] = []
    expected: list[Row] = []
    # One customer more than `others` is active on 31 January in each case: 1 (below the first
    # tier), 2 (exactly on the first), 3 (exactly on the second), 4 (above it).
    for others, bonus in ((0, None), (1, "100.00"), (2, "150.00"), (3, "150.00")):
        r = reseller(store)
        plan(store, r.number, "2024-01-01", performance=ACTIVE_TIERS)
        for _ in range(others):
            _active_customer(store, r.number, "2024-01-05")
        # Active on 31 Jan, gone on 1 Feb: still counts for January.
        _active_customer(store, r.number, "2023-12-01", ("2024-02-01", "terminated"))
        rows += summary(calculate(store, r.number, "2024-01")["created"])
        if bonus is not None:
            expected.append(("performance", r.number, bonus))
    return rows, expected


def performance_on_collected_revenue(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store, None)
    tiers = [{"from": "100.00", "rate": "2.00"}, {"from": "100.01", "amount": "500.00"}]
    plan(
        store, r.number, "2024-01-01", performance={"measure": "collected_revenue", "tiers": tiers}
    )
    who = customer(store, r.number)
    pay(store, who, "60.00", "2024-03-01")
    pay(store, who, "40.00", "2024-03-31")
    pay(store, who, "0.01", "2024-04-01")  # April's: not collected in March
    got = summary(calculate(store, r.number, "2024-03")["created"])
    # Exactly 100.00 collected: the first tier (2%), not the one starting at 100.01.
    return got, [("performance", r.number, "2.00")]


def performance_by_the_version_on_the_last_day(store: Any) -> tuple[list[Row], list[Row]]:
    r = reseller(store)
    plan(store, r.number, "2024-01-01", performance=ACTIVE_TIERS)
    plan(
        store,
        r.number,
        "2024-03-31",
        performance={"measure": "active_customers", "tiers": [{"from": "1", "amount": "7.00"}]},
    )
    _active_customer(store, r.number, "2024-03-01")
    got = summary(calculate(store, r.number, "2024-03")["created"])
    return got, [("performance", r.number, "7.00")]


CASES = [
    Case("setup: plan version on its effective_from day", setup_on_the_effective_day),
    Case("setup: activation on the month's last day", setup_on_the_last_day_of_the_month),
    Case("setup: rate of the first invoice, passed through", setup_rate_passes_through),
    Case("recurring: plan version on its effective_from day", recurring_on_the_effective_day),
    Case("recurring: pass-through, capped at the parent", recurring_passes_through_and_is_capped),
    Case("usage: month ends and plan versions", usage_by_month_and_version),
    Case("usage: passed through", usage_passes_through),
    Case("retention: exactly on the anniversary", retention_exactly_on_the_anniversary),
    Case(
        "retention: service must last the anniversary", retention_needs_service_on_the_anniversary
    ),
    Case("retention: month-end anniversary, break", retention_at_a_month_end_and_after_a_break),
    Case("performance: exactly on tier boundaries", performance_on_a_tier_boundary),
    Case("performance: collected revenue boundary", performance_on_collected_revenue),
    Case(
        "performance: version on the period's last day", performance_by_the_version_on_the_last_day
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_commission_type_cases(store, case: Case) -> None:
    got, expected = case.run(store)
    assert sorted(got) == sorted(expected)


def test_running_a_period_again_creates_nothing(store) -> None:
    parent = reseller(store)
    child = reseller(store, "8.00", parent=parent.number)
    plan(store, parent.number, "2024-01-01", usage={"rate": "5.00"}, setup={"rate": "10"})
    plan(
        store,
        child.number,
        "2024-01-01",
        usage={"rate": "3.00"},
        setup={"amount": "25.00"},
        retention={"milestones": [{"months": 1, "amount": "5.00"}]},
        performance=ACTIVE_TIERS,
    )
    # One customer reaches its first month on 15 January, the other becomes active on 2 January.
    for since in ("2023-12-15", "2024-01-02"):
        who = _voice_and_internet(store, child.number, since)
        bill(store, who, "2024-01-01", "2024-01-31")
    first = calculate(store, child.number, "2024-01")
    types = {r["commission_type"] for r in first["created"]}
    assert types == {"setup", "usage", "retention", "performance"}
    again = calculate(store, child.number, "2024-01")
    assert again["created"] == []
    assert again["already_calculated"] == len(first["created"])
