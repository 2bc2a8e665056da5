"""The period calculation's rules without a store: setup day, first invoice, usage base,
collections, the performance measure and the plan versions in force."""

import uuid
from datetime import date
from decimal import Decimal

from domain.commissions.period_rules import (
    CustomerFacts,
    collected_between,
    first_invoice,
    performance_measure,
    plan_versions_in,
    setup_day,
    usage_base,
    usage_service_types,
)
from domain.commissions.plans import PlanRules
from domain.ledger.money import Money

JAN = (date(2027, 1, 1), date(2027, 1, 31))


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def facts(began: date | None, ended: date | None = None) -> CustomerFacts:
    stretches = [] if began is None else [(began, ended)]
    return CustomerFacts(uuid.uuid4(), stretches, {"s1": "voice", "s2": "internet"})


def test_setup_is_earned_in_the_period_the_customer_became_active() -> None:
    assert setup_day(facts(date(2027, 1, 10)), *JAN) == date(2027, 1, 10)
    assert setup_day(facts(date(2026, 12, 31)), *JAN) is None
    assert setup_day(facts(None), *JAN) is None


def test_the_first_invoice_is_by_period_start_then_id() -> None:
    customer = facts(date(2027, 1, 1))
    assert first_invoice(customer) is None
    customer.invoices = [
        {"invoice_id": "B", "starts": date(2027, 1, 1), "lines": [], "net": usd("2")},
        {"invoice_id": "A", "starts": date(2027, 1, 1), "lines": [], "net": usd("1")},
        {"invoice_id": "0", "starts": date(2027, 2, 1), "lines": [], "net": usd("3")},
    ]
    chosen = first_invoice(customer)
    assert chosen is not None and chosen["invoice_id"] == "A"


def test_the_usage_base_is_the_net_of_usage_service_lines() -> None:
    customer = facts(date(2027, 1, 1))
    invoice = {
        "lines": [
            {"service_id": "s1", "net": usd("4.00")},
            {"service_id": "s2", "net": usd("20.00")},
            {"service_id": "s1", "net": usd("1.50")},
        ]
    }
    assert usage_service_types(None) == {"voice", "value_added"}
    plan = PlanRules(date(2027, 1, 1), usage_service_types=("internet",))
    assert usage_service_types(plan) == {"internet"}
    assert usage_service_types(PlanRules(date(2027, 1, 1), usage_service_types=())) == {
        "voice",
        "value_added",
    }
    assert usage_base(customer, invoice, usage_service_types(None), "USD") == usd("5.50")
    assert usage_base(customer, invoice, {"internet"}, "USD") == usd("20.00")


def test_collections_and_the_performance_measure() -> None:
    active, gone = facts(date(2026, 6, 1)), facts(date(2026, 6, 1), date(2027, 1, 15))
    active.payments = [(date(2027, 1, 5), usd("10")), (date(2027, 2, 1), usd("99"))]
    gone.payments = [(date(2027, 1, 31), usd("2.50"))]
    collected = collected_between([active, gone], *JAN, "USD")
    assert collected == usd("12.50")
    assert performance_measure("collections", [active, gone], JAN[1], collected) == Decimal("12.50")
    assert performance_measure("active_customers", [active, gone], JAN[1], collected) == 1


def test_each_plan_version_in_force_during_the_period_once() -> None:
    old, new = PlanRules(date(2026, 1, 1)), PlanRules(date(2027, 1, 20))

    def rules_on(day: date) -> PlanRules | None:
        return new if day >= new.effective_from else old

    assert plan_versions_in(rules_on, *JAN) == [old, new]
    assert plan_versions_in(lambda day: None, *JAN) == []
