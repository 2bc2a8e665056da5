"""The commissions routes (plans, calculations, payout schedule, tax profile, FX rates,
disputes, tax statements) and the support report answer exactly the shapes the OpenAPI
document gives them (issue 12), and a write answers the shape of the GET of what it wrote."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.commissions.nec_statements import Nec1099StatementOut
from api.routers.commissions.schemas import (
    CalculationOut,
    CommissionPlanOut,
    DisputeOut,
    FxRateOut,
    PayoutScheduleOut,
    PlanVersionAddedOut,
    TaxProfileOut,
)
from api.routers.commissions.vat_statements import VatReportOut
from api.routers.support.report import SupportReportOut
from domain.access.roles import Role
from tests.api.response_models import Operation, documented, misnamed
from tests.api.test_disputes import approved_commission, clear_and_approve, submit
from tests.conftest import Clock
from tests.support.builders import Tenant, new_reseller
from tests.support.commission_world import customer, pay, service, tariff
from tests.support.statements_world import (
    TIN,
    commissions_for_payment,
    reseller_with_profile,
    wait_projected,
)
from tests.support.statements_world import pay as pay_cycle

DISPUTES = "/reseller/api/commissions/disputes"
DISPUTE = DISPUTES + "/{dispute_id}"


OPERATIONS: list[Operation] = [
    (
        "post",
        "/reseller/api/resellers/{reseller_id}/commission-plans",
        201,
        PlanVersionAddedOut,
    ),
    ("get", "/reseller/api/resellers/{reseller_id}/commission-plans", 200, CommissionPlanOut),
    ("post", "/reseller/api/commissions/calculations", 200, CalculationOut),
    ("get", "/reseller/api/commissions/payout-schedule", 200, PayoutScheduleOut),
    ("put", "/reseller/api/commissions/payout-schedule", 200, PayoutScheduleOut),
    ("get", "/reseller/api/tax-profile", 200, TaxProfileOut),
    ("put", "/reseller/api/tax-profile", 200, TaxProfileOut),
    ("post", "/reseller/api/fx-rates", 201, FxRateOut),
    ("post", DISPUTES, 201, DisputeOut),
    ("post", DISPUTE + "/documents", 201, DisputeOut),
    ("post", DISPUTE + "/review", 200, DisputeOut),
    ("post", DISPUTE + "/complex", 200, DisputeOut),
    ("post", DISPUTE + "/escalate", 200, DisputeOut),
    ("post", DISPUTE + "/resolve", 200, DisputeOut),
    ("get", "/reseller/api/statements/1099-nec", 200, Nec1099StatementOut),
    ("get", "/reseller/api/statements/vat", 200, VatReportOut),
    ("get", "/reseller/api/support/report", 200, SupportReportOut),
]


def test_the_document_names_the_models(client: TestClient) -> None:
    assert misnamed(client.app.openapi(), OPERATIONS) == []  # type: ignore[attr-defined]


def test_plan_versions_and_a_calculation(
    client: TestClient, isp_headers: dict[str, str], store: Any
) -> None:
    tenant = new_reseller(store, roles=(Role.ADMIN,), credit_limit="100000.00")
    url = f"/reseller/api/resellers/{tenant.number}/commission-plans"
    empty = documented(client.get(url, headers=tenant.headers()), CommissionPlanOut)
    assert empty == {"reseller_id": tenant.number, "versions": []}
    every_rule = {
        "effective_from": "2024-01-01",
        "setup": {"amount": "25.00"},
        "recurring": {"rate": "15.00"},
        "usage": {"rate": "5.00"},
        "retention": {"milestones": [{"months": 12, "amount": "50.00"}]},
        "performance": {
            "measure": "active_customers",
            "tiers": [{"from": 10, "amount": "100.00"}, {"from": 50, "rate": "2.00"}],
        },
    }
    added = documented(client.post(url, headers=isp_headers, json=every_rule), PlanVersionAddedOut)
    read = documented(client.get(url, headers=tenant.headers()), CommissionPlanOut)
    # Today's POST answers the GET's body plus the new version's number (see the report).
    assert added.pop("version") == 1 and added == read
    who = customer(store, tenant.number)
    service(store, who, tariff(store, tenant.number), [("2024-01-31", "active")])
    pay(store, who, "99.99", "2024-01-20")
    calculated = client.post(
        "/reseller/api/commissions/calculations",
        headers=isp_headers,
        json={"reseller_id": tenant.number, "period": "2024-01"},
    )
    assert documented(calculated, CalculationOut)["created"] != []


def test_payout_schedule_tax_profile_and_fx_rates(
    client: TestClient, tenant: Tenant, isp_headers: dict[str, str]
) -> None:
    schedule = "/reseller/api/commissions/payout-schedule"
    documented(client.get(schedule, headers=tenant.headers()), PayoutScheduleOut)
    set_ = client.put(
        schedule, headers=tenant.headers(), json={"frequency": "quarterly", "processing_day": 18}
    )
    assert documented(set_, PayoutScheduleOut) == documented(
        client.get(schedule, headers=tenant.headers()), PayoutScheduleOut
    )
    tax = "/reseller/api/tax-profile"
    assert documented(client.get(tax, headers=tenant.headers()), TaxProfileOut)["set"] is False
    profile = {"legal_name": "T LLC", "address": "1 Main St", "country": "US", "tin": TIN}
    made = documented(client.put(tax, headers=tenant.headers(), json=profile), TaxProfileOut)
    assert made == documented(client.get(tax, headers=tenant.headers()), TaxProfileOut)
    rate = client.post(
        "/reseller/api/fx-rates",
        headers=isp_headers,
        json={"base": "USD", "quote": "NGN", "rate": 1500.25},
    )
    assert documented(rate, FxRateOut)["rate"] == "1500.25"


@pytest.fixture
def own_clock() -> Clock:
    """A clock of this test's own, as tests/api/test_disputes.py keeps one."""
    return Clock()


@pytest.fixture
def api(api_services: Any, own_clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(dataclasses.replace(api_services, clock=own_clock))) as client:
        yield client


def test_every_write_to_a_dispute(
    api: TestClient, own_clock: Clock, store: Any, isp_headers: dict[str, str]
) -> None:
    tenant = new_reseller(store, roles=(Role.ADMIN, Role.MANAGER))
    commission = approved_commission(api, own_clock, isp_headers, tenant)
    clear_and_approve(api, own_clock, store, isp_headers, commission)
    document = {"filename": "a.txt", "content_base64": base64.b64encode(b"receipt").decode()}
    submitted = documented(submit(api, tenant, commission, documents=[document]), DisputeOut)
    url = f"{DISPUTES}/{submitted['dispute_id']}"
    assert submitted["interest"]["final"] is False
    added = api.post(
        f"{url}/documents",
        headers=tenant.headers(Role.MANAGER),
        json={"filename": "b.txt", "content_base64": base64.b64encode(b"more").decode()},
    )
    assert len(documented(added, DisputeOut)["documents"]) == 2
    documented(api.post(f"{url}/review", headers=isp_headers, json={}), DisputeOut)
    due = (own_clock().date() + timedelta(days=20)).isoformat()
    complex_ = api.post(
        f"{url}/complex", headers=isp_headers, json={"review_due_on": due, "reason": "many"}
    )
    assert documented(complex_, DisputeOut)["complex"] is True
    escalated = api.post(f"{url}/escalate", headers=tenant.headers(), json={"reason": "slow"})
    assert documented(escalated, DisputeOut)["escalated"] is True
    resolved = api.post(
        f"{url}/resolve", headers=isp_headers, json={"decision": "accepted", "note": "right"}
    )
    assert documented(resolved, DisputeOut)["interest"]["final"] is True
    again = api.post(
        f"{url}/resolve", headers=isp_headers, json={"decision": "accepted", "note": "right"}
    )
    documented(again, DisputeOut)


def test_tax_statements_json(
    client: TestClient, store: Any, database_url: str, isp_headers: dict[str, str]
) -> None:
    us = reseller_with_profile(store, "US", tin="333-44-5555")
    german = reseller_with_profile(store, "DE", vat_id="DE123456789")
    for payee in (us, german):
        records = commissions_for_payment(store, payee, "9000.00")
        pay_cycle(store, payee, "2029-05", records, date(2029, 5, 1), date(2029, 5, 21))
    wait_projected(database_url, store)
    nec = client.get(
        "/reseller/api/statements/1099-nec",
        headers=isp_headers,
        params={"tax_year": 2029, "reseller_id": us.number},
    )
    assert [f["recipient_id"] for f in documented(nec, Nec1099StatementOut)["forms"]] == [us.number]
    vat = client.get(
        "/reseller/api/statements/vat",
        headers=isp_headers,
        params={"year": 2029, "quarter": 2, "reseller_id": german.number},
    )
    assert documented(vat, VatReportOut)["invoices"] != []


def test_support_report_json(client: TestClient, tenant: Tenant) -> None:
    opened = client.post(
        "/reseller/api/tickets",
        headers=tenant.headers(),
        json={
            "subject": "No internet",
            "description": "down since 9",
            "category": "technical",
            "priority": "high",
            "source": "internal",
        },
    )
    assert opened.status_code == 201, opened.text
    today = opened.json()["opened_at"][:10]
    report = client.get(
        "/reseller/api/support/report",
        headers=tenant.headers(),
        params={
            "date_from": today,
            "date_to": today,
            "wait_for_position": opened.headers["Ledger-Position"],
        },
    )
    assert documented(report, SupportReportOut)["totals"]["opened"] == 1
