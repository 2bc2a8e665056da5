"""Credit thresholds and the configurable actions at the limit change what the governed
commands do; emergency credit lifts the limit for 48 hours (controllable clock) and then
lapses by itself, before and after the sweep records it."""

import dataclasses
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from commands.credit.credit_account import expire_emergency_credit
from domain.credit.credit_account import credit_account_id
from tests.api.billing_helpers import customer_with_service, tariff
from tests.api.helpers import assert_problem, seed_customer
from tests.conftest import Clock
from tests.support.builders import context


@pytest.fixture
def own_clock():
    """A clock of this module's own: moving it days ahead leaves the session's clock (and the
    dates other tests expect) alone."""
    return Clock()


@pytest.fixture
def client(api_services, own_clock):
    with TestClient(create_app(dataclasses.replace(api_services, clock=own_clock))) as client:
        yield client


def charge(client, isp, tenant, amount):
    response = client.post(
        f"/reseller/api/resellers/{tenant.number}/credit-account/charges",
        headers=isp,
        json={"amount": amount, "currency": "USD", "description": "wholesale"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def policy(client, tenant, **changes):
    response = client.patch(
        f"/reseller/api/resellers/{tenant.number}/credit-account/policy",
        headers=tenant.headers(),
        json=changes,
    )
    assert response.status_code == 200, response.text
    return response.json()


def new_customer(client, tenant):
    return client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    )


def view(client, tenant):
    return client.get("/reseller/api/credit-account", headers=tenant.headers()).json()


def test_thresholds_alerts_and_new_customer_actions(client, tenant, isp_headers):
    charge(client, isp_headers, tenant, "760.00")
    state = view(client, tenant)
    assert (state["state"], state["alerts"]) == ("ok", ["75"])
    charge(client, isp_headers, tenant, "50.00")
    assert view(client, tenant)["state"] == "warning"
    assert new_customer(client, tenant).status_code == 201  # below the restriction level
    charge(client, isp_headers, tenant, "100.00")
    state = view(client, tenant)
    assert state["state"] == "restricted" and state["alerts"] == ["75", "80", "90"]
    refused = new_customer(client, tenant)
    assert_problem(refused, 409, "credit_limit")  # default: new business suspended
    policy(client, tenant, new_customers="require_approval")
    pending = new_customer(client, tenant)
    assert pending.status_code == 201 and pending.json()["status"] == "pending"
    policy(client, tenant, new_customers="continue")
    assert new_customer(client, tenant).json()["status"] == "new"
    # Thresholds are configurable within the seed's ranges.
    policy(client, tenant, restriction_pct="95")
    assert view(client, tenant)["state"] == "warning"
    for bad in ({"warning_pct": "40"}, {"restriction_pct": "100"}, {"new_customers": "maybe"}):
        assert_problem(
            client.patch(
                f"/reseller/api/resellers/{tenant.number}/credit-account/policy",
                headers=tenant.headers(),
                json=bad,
            ),
            422,
        )


def test_actions_at_the_limit_for_services_and_payments(client, tenant, isp_headers):
    plan = tariff(client, isp_headers, tenant, "10.00")
    customer, service = customer_with_service(client, tenant, plan)
    paused = client.post(
        f"/reseller/api/services/{service}/status",
        headers=tenant.headers(),
        json={"status": "suspended"},
    )
    assert paused.status_code == 200
    charge(client, isp_headers, tenant, "1000.00")
    assert view(client, tenant)["state"] == "at_limit"

    def activate():
        return client.post(
            f"/reseller/api/services/{service}/status",
            headers=tenant.headers(),
            json={"status": "active"},
        )

    def pay():
        return client.post(
            f"/reseller/api/customers/{customer}/payments",
            headers=tenant.headers(),
            json={"amount": "1.00", "currency": "USD", "method": "cash"},
        )

    assert activate().json()["review_required"] is False  # default: existing customers continue
    client.post(
        f"/reseller/api/services/{service}/status",
        headers=tenant.headers(),
        json={"status": "suspended"},
    )
    policy(client, tenant, existing_services="restrict", payments="review")
    assert_problem(activate(), 409, "credit_limit")
    assert pay().json()["handling"] == "review"
    policy(client, tenant, existing_services="review", payments="escalate")
    assert activate().json()["review_required"] is True
    assert pay().json()["handling"] == "escalated"


def test_emergency_credit_for_48_hours(client, tenant, isp_headers, store, own_clock):
    charge(client, isp_headers, tenant, "1000.00")
    assert_problem(new_customer(client, tenant), 409)
    url = f"/reseller/api/resellers/{tenant.number}/credit-account/emergency-credit"
    assert_problem(
        client.post(
            url,
            headers=tenant.headers(),
            json={"amount": "250.01", "currency": "USD", "reason": "big order"},
        ),
        422,
        "amount",
    )
    requested = client.post(
        url,
        headers=tenant.headers(),
        json={"amount": "250.00", "currency": "USD", "reason": "big order"},
    )
    assert requested.status_code == 201
    request_id = next(iter(view(client, tenant)["emergency_requests"]))
    assert_problem(client.post(f"{url}/{request_id}/grant", headers=tenant.headers()), 403)
    granted = client.post(f"{url}/{request_id}/grant", headers=isp_headers)
    assert granted.status_code == 200, granted.text
    state = view(client, tenant)
    assert (state["effective_limit"], state["state"]) == ("1250.00", "warning")  # 80%
    assert new_customer(client, tenant).status_code == 201
    own_clock.advance(hours=47, minutes=59)
    assert view(client, tenant)["effective_limit"] == "1250.00"
    own_clock.advance(minutes=2)
    # Lapsed at its instant, before anything recorded it.
    state = view(client, tenant)
    assert (state["effective_limit"], state["state"]) == ("1000.00", "at_limit")
    assert state["emergency_credit"]["active"] is False
    assert_problem(new_customer(client, tenant), 409)
    # The sweep records the expiry once; a second sweep changes nothing.
    expire_emergency_credit(store, context(now=own_clock()), tenant.number)
    expire_emergency_credit(store, context(now=own_clock()), tenant.number)
    expired = [
        e
        for e in store.events.get(credit_account_id(tenant.number))
        if type(e).__name__ == "EmergencyCreditExpired"
    ]
    assert len(expired) == 1
    assert view(client, tenant)["emergency_credit"] is None


def test_limit_increases_temporary_and_permanent(client, tenant, isp_headers, own_clock):
    url = f"/reseller/api/resellers/{tenant.number}/credit-account/limit-increases"
    until = (own_clock() + timedelta(days=7)).isoformat()
    client.post(
        url,
        headers=tenant.headers(),
        json={
            "new_limit": "1500.00",
            "currency": "USD",
            "kind": "temporary",
            "until": until,
            "justification": "season",
        },
    )
    client.post(
        url,
        headers=tenant.headers(),
        json={
            "new_limit": "3000.00",
            "currency": "USD",
            "kind": "permanent",
            "justification": "growth",
        },
    )
    requests = view(client, tenant)["limit_increase_requests"]
    temporary = next(k for k, v in requests.items() if v["kind"] == "temporary")
    permanent = next(k for k, v in requests.items() if v["kind"] == "permanent")
    assert (
        client.post(
            f"{url}/{temporary}/decision", headers=isp_headers, json={"approved": True}
        ).status_code
        == 200
    )
    assert view(client, tenant)["effective_limit"] == "1500.00"
    own_clock.advance(days=7, seconds=1)
    assert view(client, tenant)["effective_limit"] == "1000.00"
    client.post(f"{url}/{permanent}/decision", headers=isp_headers, json={"approved": True})
    state = view(client, tenant)
    assert (state["credit_limit"], state["effective_limit"]) == ("3000.00", "3000.00")
    assert_problem(
        client.post(f"{url}/{permanent}/decision", headers=isp_headers, json={"approved": True}),
        422,
        "request_id",
    )
    assert_problem(
        client.post(
            f"{url}/{uuid.uuid4().hex[:16]}/decision",
            headers=tenant.headers(),
            json={"approved": True},
        ),
        403,
    )
