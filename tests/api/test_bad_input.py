"""Bad input gets a 4xx problem+json that names the field, and writes no event."""

import json

import pytest

from tests.api.helpers import assert_problem, seed_customer


@pytest.fixture
def head(store):
    return lambda: store.recorder.max_notification_id()


def post_raw(client, url, raw, headers):
    return client.post(url, content=raw, headers={**headers, "content-type": "application/json"})


CUSTOMER_CASES = [
    ({"customer_type": 5}, "customer_type"),
    ({"customer_type": "alien"}, "customer_type"),
    ({"first_name": ["John"]}, "first_name"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"reseller_id": "one"}, "reseller_id"),
    ({"portal_id": "MY-OWN-ID"}, "portal_id"),
    ({"status": "active"}, "status"),
    ({"role": "admin"}, "role"),
    ({"generate_credentials": "perhaps"}, "generate_credentials"),
    ({"last_name": None}, "last_name"),
    ({"first_name": "x" * 101}, "first_name"),
]


@pytest.mark.parametrize(("overrides", "field"), CUSTOMER_CASES)
def test_bad_customer_fields(client, tenant, head, overrides, field):
    before = head()
    response = client.post(
        "/reseller/api/customers",
        json=seed_customer(tenant.number, **overrides),
        headers=tenant.headers(),
    )
    assert_problem(response, 422, field)
    assert head() == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"amount": -5, "currency": "USD", "description": "x"}', "amount"),
        ('{"amount": 0, "currency": "USD", "description": "x"}', "amount"),
        ('{"amount": 10.005, "currency": "USD", "description": "x"}', "amount"),
        ('{"amount": "1e400", "currency": "USD", "description": "x"}', "amount"),
        ('{"amount": "ten", "currency": "USD", "description": "x"}', "amount"),
        ('{"amount": 10, "currency": "XYZ", "description": "x"}', "currency"),
        ('{"amount": 10, "currency": "EUR", "description": "x"}', "currency"),
        ('{"amount": 10, "currency": "USD", "description": ""}', "description"),
        ('{"amount": 10, "currency": "USD"}', "description"),
        (
            '{"amount": 10, "currency": "USD", "description": "x", "effective_date": "2999-01-01"}',
            "effective_date",
        ),
        (
            '{"amount": 10, "currency": "USD", "description": "x", "effective_date": "31/12/2025"}',
            "effective_date",
        ),
    ],
)
def test_bad_amounts_and_currencies(client, tenant, isp_headers, head, raw, field):
    before = head()
    response = post_raw(
        client, f"/reseller/api/resellers/{tenant.number}/credit-account/charges", raw, isp_headers
    )
    assert_problem(response, 422, field)
    assert head() == before


@pytest.mark.parametrize("raw", ['{"amount": NaN}', '{"amount": Infinity}', "{not json", "[1,2"])
def test_malformed_json_is_a_4xx(client, tenant, isp_headers, head, raw):
    before = head()
    response = post_raw(
        client, f"/reseller/api/resellers/{tenant.number}/credit-account/charges", raw, isp_headers
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert head() == before


def test_oversize_bodies_are_refused(client, tenant, head):
    before = head()
    huge = json.dumps(seed_customer(tenant.number, address="x" * 20_000))
    response = post_raw(client, "/reseller/api/customers", huge, tenant.headers())
    assert_problem(response, 413)
    assert head() == before


def test_bad_status_transition_writes_nothing(client, tenant, head):
    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()
    url = f"/reseller/api/customers/{customer['customer_id']}/status"
    before = head()
    assert_problem(
        client.post(url, json={"status": "suspended"}, headers=tenant.headers()), 422, "status"
    )
    assert_problem(
        client.post(url, json={"status": "deleted"}, headers=tenant.headers()), 422, "status"
    )
    assert head() == before


def test_bad_ids_and_queries(client, tenant):
    assert_problem(client.get("/reseller/api/customers/not-a-uuid", headers=tenant.headers()), 404)
    assert_problem(
        client.get(
            "/reseller/api/customers", params={"status": "zombie"}, headers=tenant.headers()
        ),
        422,
        "status",
    )
    assert_problem(
        client.get("/reseller/api/customers", params={"limit": 0}, headers=tenant.headers()),
        422,
        "limit",
    )
    assert_problem(
        client.post(
            "/reseller/api/customers",
            json=seed_customer(tenant.number),
            headers=tenant.headers(**{"Idempotency-Key": "bad key with spaces"}),
        ),
        422,
    )
