"""Commission plans, period calculations, list filters and the consolidated report over the
API (seed §5.1, §11.1)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from commands.access.users import SecuritySettings, change_security_settings
from domain.access.roles import Role
from tests.api.helpers import assert_problem, position
from tests.support.builders import context, new_reseller
from tests.support.commission_world import customer, pay, reverse, service, tariff


def plans_url(number: int) -> str:
    return f"/reseller/api/resellers/{number}/commission-plans"


def test_the_isp_adds_plan_versions_and_nothing_is_edited(client, isp_headers, tenant):
    first = client.post(
        plans_url(tenant.number),
        headers=isp_headers,
        json={
            "effective_from": "2024-01-01",
            "recurring": {"rate": "15.00"},
            "setup": {"amount": "25.00"},
            "performance": {
                "measure": "active_customers",
                "tiers": [{"from": 10, "amount": "100.00"}, {"from": 50, "rate": "2.00"}],
            },
        },
    )
    assert first.status_code == 201, first.text
    second = client.post(
        plans_url(tenant.number),
        headers=isp_headers,
        json={"effective_from": "2024-06-01", "recurring": {"rate": "12.50"}},
    )
    assert second.json()["version"] == 2
    earlier = client.post(
        plans_url(tenant.number),
        headers=isp_headers,
        json={"effective_from": "2024-03-01", "recurring": {"rate": "9"}},
    )
    assert_problem(earlier, 422, "effective_from")
    shown = client.get(plans_url(tenant.number), headers=tenant.headers(Role.READONLY)).json()
    assert [(v["version"], v["effective_from"]) for v in shown["versions"]] == [
        (1, "2024-01-01"),
        (2, "2024-06-01"),
    ]
    assert shown["versions"][0]["recurring"] == {"rate": "15.00"}
    assert shown["versions"][0]["performance"]["tiers"][0] == {"from": "10", "amount": "100.00"}
    # Resellers do not set their own plans.
    own = client.post(
        plans_url(tenant.number),
        headers=tenant.headers(),
        json={"effective_from": "2025-01-01", "recurring": {"rate": "50"}},
    )
    assert_problem(own, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"effective_from": "2024-01-01", "recurring": {"rate": "100.5"}}, "recurring.rate"),
        ({"effective_from": "2024-01-01", "setup": {"amount": "1", "rate": "1"}}, "setup"),
        ({"effective_from": "2024-01-01"}, "recurring"),
        ({"effective_from": "soon", "recurring": {"rate": "1"}}, "effective_from"),
        ({"effective_from": "2024-01-01", "bonus": {"rate": "1"}}, "bonus"),
        (
            {"effective_from": "2024-01-01", "retention": {"milestones": [{"months": 0}]}},
            "retention.milestones.0.months",
        ),
    ],
)
def test_bad_plans_are_refused_naming_the_field(client, isp_headers, tenant, body, field):
    before = client.get(plans_url(tenant.number), headers=isp_headers).json()
    assert_problem(
        client.post(plans_url(tenant.number), headers=isp_headers, json=body), 422, field
    )
    assert client.get(plans_url(tenant.number), headers=isp_headers).json() == before


def test_a_period_calculation_runs_once_and_lists_by_filters(client, isp_headers, store):
    r = new_reseller(store, roles=(Role.ADMIN,), credit_limit="100000.00")
    client.post(
        plans_url(r.number),
        headers=isp_headers,
        json={"effective_from": "2024-01-01", "setup": {"amount": "25.00"}},
    )
    who = customer(store, r.number)
    service(store, who, tariff(store, r.number), [("2024-01-31", "active")])
    pay(store, who, "99.99", "2024-01-20")
    run = {"reseller_id": r.number, "period": "2024-01"}
    calculated = client.post(
        "/reseller/api/commissions/calculations", headers=isp_headers, json=run
    )
    assert calculated.status_code == 200, calculated.text
    (setup,) = calculated.json()["created"]
    assert (setup["commission_type"], setup["commission_amount"]) == ("setup", "25.00")
    assert (setup["period_start"], setup["period_end"], setup["status"]) == (
        "2024-01-01",
        "2024-01-31",
        "calculated",
    )
    again = client.post("/reseller/api/commissions/calculations", headers=isp_headers, json=run)
    assert again.json()["created"] == [] and again.json()["already_calculated"] == 1
    assert_problem(
        client.post(
            "/reseller/api/commissions/calculations",
            headers=isp_headers,
            json={"reseller_id": r.number, "period": "2024-1"},
        ),
        422,
        "period",
    )

    def listed(**params: Any) -> list[dict[str, Any]]:
        got = client.get(
            "/reseller/api/commissions",
            headers=r.headers(),
            params={"wait_for_position": position(calculated), **params},
        )
        assert got.status_code == 200, got.text
        return list(got.json())

    assert {c["commission_type"] for c in listed(period="2024-01")} == {"setup", "recurring"}
    assert [c["commission_type"] for c in listed(period="2024-01", type="setup")] == ["setup"]
    assert [c["status"] for c in listed(type="recurring")] == ["pending"]
    assert listed(period="2024-02") == []
    # period_start/period_end select the records whose period overlaps them.
    assert len(listed(period_start="2024-01-20", period_end="2024-01-20")) == 2
    assert listed(period_start="2024-01-21", type="recurring") == []
    assert len(listed(customer_id=str(who))) == 2
    assert listed(customer_id=str(uuid.uuid4())) == []
    assert listed(status="approved") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2024-13"}, "period"),
        ({"period": "January"}, "period"),
        ({"period": "2024-01", "period_start": "2024-01-01"}, "period"),
        ({"period_start": "2024-02-01", "period_end": "2024-01-31"}, "period_end"),
        ({"period_start": "yesterday"}, "period_start"),
        ({"type": "bonus"}, "type"),
        ({"status": "lost"}, "status"),
        ({"customer_id": "not-a-customer"}, "customer_id"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(client, tenant, params, field):
    response = client.get("/reseller/api/commissions", headers=tenant.headers(), params=params)
    assert_problem(response, 422, field)
    report = client.get(
        "/reseller/api/commissions/consolidated", headers=tenant.headers(), params=params
    )
    if field in ("period", "period_end", "period_start"):
        assert_problem(report, 422, field)


def _sum_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    by_type: dict[str, Decimal] = defaultdict(Decimal)
    by_status: dict[str, Decimal] = defaultdict(Decimal)
    for r in records:
        # A voided record is reversed in the journal: it counts under its status only.
        if r["status"] != "voided":
            by_type[r["commission_type"]] += Decimal(r["commission_amount"])
        by_status[r["status"]] += Decimal(r["commission_amount"])
    return {
        "records": len(records),
        "total": sum(by_type.values(), Decimal(0)),
        "by_type": dict(by_type),
        "by_status": dict(by_status),
    }


def _as_numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "records": summary["records"],
        "total": Decimal(summary["total"]),
        "by_type": {k: Decimal(v) for k, v in summary["by_type"].items()},
        "by_status": {k: Decimal(v) for k, v in summary["by_status"].items()},
    }


def test_the_consolidated_report_is_the_sum_of_the_subtree(client, isp_headers, store):
    top = new_reseller(store, roles=(Role.ADMIN, Role.READONLY), commission_percent="15.00")
    middle = new_reseller(store, roles=(Role.ADMIN,), parent=top.number, commission_percent="12")
    leaf = new_reseller(store, roles=(), parent=middle.number, commission_percent="8.00")
    other = new_reseller(store, roles=(), commission_percent="15.00")
    change_security_settings(
        store, context(), SecuritySettings(manage_sub_resellers=True), top.number
    )
    client.post(
        plans_url(leaf.number),
        headers=isp_headers,
        json={"effective_from": "2024-01-01", "setup": {"amount": "25.00"}},
    )
    leaf_customer = customer(store, leaf.number)
    service(store, leaf_customer, tariff(store, leaf.number), [("2024-01-05", "active")])
    kept = pay(store, leaf_customer, "99.99", "2024-01-15")
    voided = pay(store, leaf_customer, "50.00", "2024-01-16")
    reverse(store, "refund", leaf_customer, voided["payment_id"], "50.00", "2024-01-20")
    pay(store, customer(store, middle.number), "200.00", "2024-01-31")
    pay(store, customer(store, middle.number), "10.00", "2024-02-01")  # February's
    pay(store, customer(store, other.number), "80.00", "2024-01-10")
    done = client.post(
        "/reseller/api/commissions/calculations",
        headers=isp_headers,
        json={"reseller_id": leaf.number, "period": "2024-01"},
    )
    head = position(done)
    assert kept["commissions"]

    def report(headers: dict[str, str], **params: Any) -> dict[str, Any]:
        got = client.get(
            "/reseller/api/commissions/consolidated",
            headers=headers,
            params={"period": "2024-01", "wait_for_position": head, **params},
        )
        assert got.status_code == 200, got.text
        return dict(got.json())

    def records(number: int) -> list[dict[str, Any]]:
        got = client.get(
            "/reseller/api/commissions",
            headers=isp_headers,
            params={"reseller_id": number, "period": "2024-01", "limit": 100},
        )
        return list(got.json())

    subtree = [top.number, middle.number, leaf.number]
    by_isp = report(isp_headers, reseller_id=top.number)
    by_parent = report(top.headers())
    assert by_isp == by_parent
    assert [r["reseller_id"] for r in by_parent["resellers"]] == subtree
    everything: list[dict[str, Any]] = []
    for row in by_parent["resellers"]:
        mine = records(row["reseller_id"])
        everything += mine
        assert _as_numbers(row) | {"currency": "USD"} == _sum_records(mine) | {"currency": "USD"}
    (total,) = by_parent["totals"]
    assert _as_numbers(total) == _sum_records(everything)
    assert set(total["by_type"]) == {"recurring", "setup"}
    assert Decimal(total["by_status"]["voided"]) == Decimal("7.50")  # 15% of the refunded 50
    assert other.number not in [r["reseller_id"] for r in by_parent["resellers"]]
    # A sub-reseller's admin sees its own subtree; a readonly user (no sub-reseller
    # management) only its own reseller; nobody sees above or beside them.
    assert [r["reseller_id"] for r in report(middle.headers())["resellers"]] == [middle.number]
    assert [r["reseller_id"] for r in report(top.headers(Role.READONLY))["resellers"]] == [
        top.number
    ]
    outside = client.get(
        "/reseller/api/commissions/consolidated",
        headers=middle.headers(),
        params={"reseller_id": top.number},
    )
    assert_problem(outside, 404)
