"""The named cases of input refused at the boundary (issue 10 §1, §5; issue 11 §8-§10)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.boundary import parse_json_body
from tests.api.helpers import assert_problem, seed_customer

# The seed's §3.2 request, copied as it stands, with its `//` comments.
SEED_3_2 = """{
  "customer_type": "person", // person, company
  "first_name": "John",
  "last_name": "Doe",
  "email": "john@example.com",
  "phone": "+1234567890",
  "address": "123 Main St",
  "city": "Lagos",
  "reseller_id": 1,
  "portal_id": "auto-generated", // System generates unique Portal ID
  "generate_credentials": true // Auto-generate portal password
}"""
ARABIC_123 = "\u0661\u0662\u0663"


@pytest.fixture
def head(store: Any) -> Any:
    return lambda: store.recorder.max_notification_id()


def test_a_nul_in_the_customer_search_is_a_422_naming_q(client: TestClient, tenant: Any) -> None:
    response = client.get("/reseller/api/customers?q=a%00b", headers=tenant.headers())
    assert_problem(response, 422, "q")


def test_invalid_utf8_in_a_query_parameter_is_a_422(client: TestClient, tenant: Any) -> None:
    for raw in ("a%FFb", "a%ED%A0%80b"):  # not UTF-8; an encoded lone surrogate
        response = client.get(f"/reseller/api/customers?q={raw}", headers=tenant.headers())
        assert_problem(response, 422, "q")


def test_a_nul_in_the_audit_actor_filter_is_a_422(
    client: TestClient, isp_headers: dict[str, str]
) -> None:
    response = client.get("/reseller/api/audit/events?actor=a%00", headers=isp_headers)
    assert_problem(response, 422, "actor")


@pytest.mark.parametrize("username", ["ad\x00min", "ad\ud800min"])
def test_login_with_an_unstorable_username_is_a_422(
    client: TestClient, tenant: Any, head: Any, username: str
) -> None:
    before = head()
    body = json.dumps({"username": username, "password": "x", "reseller_code": tenant.code})
    response = client.post(
        "/reseller/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "username")
    assert head() == before


def test_a_nul_in_a_path_parameter_names_it(client: TestClient, tenant: Any) -> None:
    response = client.get("/reseller/api/customers/a%00b", headers=tenant.headers())
    assert_problem(response, 422, "customer_id")


def test_a_nul_in_a_nested_body_string_names_its_path(
    client: TestClient, tenant: Any, head: Any
) -> None:
    before = head()
    body = json.dumps(
        {"items": [{"commission_id": "x\x00", "corrected_base_amount": "1.00"}], "reason": "r"}
    )
    response = client.post(
        "/reseller/api/commissions/disputes",
        content=body,
        headers=tenant.headers(**{"content-type": "application/json"}),
    )
    assert_problem(response, 422, "items.0.commission_id")
    assert head() == before


def test_the_seed_json_with_comments_says_where_and_why(client: TestClient, tenant: Any) -> None:
    response = client.post(
        "/reseller/api/customers",
        content=SEED_3_2,
        headers=tenant.headers(**{"content-type": "application/json"}),
    )
    body = assert_problem(response, 422)
    assert "line 2, column 30" in body["detail"], body
    assert "comments are not JSON" in body["detail"], body


def test_json_errors_report_line_and_column() -> None:
    with pytest.raises(Exception) as raised:
        parse_json_body(b'{\n  "a": 1,\n  "b": 2,,\n}')
    assert "line 3, column 10" in str(raised.value.errors())  # type: ignore[attr-defined]
    with pytest.raises(Exception) as raised:
        parse_json_body(b'{"a": 1 /* no */}')
    assert "comments are not JSON" in str(raised.value.errors())  # type: ignore[attr-defined]
    assert parse_json_body(b'{"a": 1.10}') == {"a": __import__("decimal").Decimal("1.10")}


def test_an_isp_admin_omitting_reseller_id_gets_a_422_naming_it(
    client: TestClient, isp_headers: dict[str, str], head: Any
) -> None:
    assert_problem(client.get("/reseller/api/customers", headers=isp_headers), 422, "reseller_id")
    before = head()
    response = client.post("/reseller/api/customers", json=seed_customer(None), headers=isp_headers)
    body = assert_problem(response, 422, "reseller_id")
    assert "required" in body["detail"]
    assert head() == before


def charge(amount: Any) -> str:
    return json.dumps({"amount": amount, "currency": "USD", "description": "bandwidth"})


@pytest.mark.parametrize("spelling", [ARABIC_123, "1_000.00", "1e5", " 5.00", "+5.00", "5.", ".5"])
def test_lenient_money_spellings_are_refused(
    client: TestClient, tenant: Any, isp_headers: dict[str, str], head: Any, spelling: str
) -> None:
    url = f"/reseller/api/resellers/{tenant.number}/credit-account/charges"
    before = head()
    response = client.post(
        url, content=charge(spelling), headers={**isp_headers, "content-type": "application/json"}
    )
    assert_problem(response, 422, "amount")
    assert head() == before


def test_plain_decimal_strings_and_exact_json_numbers_are_accepted(
    client: TestClient, tenant: Any, isp_headers: dict[str, str]
) -> None:
    url = f"/reseller/api/resellers/{tenant.number}/credit-account/charges"
    headers = {**isp_headers, "content-type": "application/json"}
    first = client.post(url, content=charge("123.45"), headers=headers)
    assert first.status_code in (200, 201), first.text
    raw = '{"amount": 0.10, "currency": "USD", "description": "bandwidth"}'
    second = client.post(url, content=raw, headers=headers)
    assert second.status_code in (200, 201), second.text
    assert second.json()["charged_total"] == "123.55"


def test_the_document_states_the_money_format(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    amount = spec["components"]["schemas"]["RecordCharge"]["properties"]["amount"]
    strings = [b for b in amount["anyOf"] if b.get("type") == "string"]
    assert strings == [{"type": "string", "format": "decimal", "pattern": r"^[0-9]+(\.[0-9]+)?$"}]


def test_a_boolean_is_not_a_count(client: TestClient, tenant: Any, head: Any) -> None:
    before = head()
    body = {
        "reseller_code": f"SUB{tenant.number}X",
        "name": "Sub",
        "country": "NG",
        "currency": "USD",
        "customer_limit": False,
    }
    response = client.post("/reseller/api/resellers", json=body, headers=tenant.headers())
    assert_problem(response, 422, "customer_limit")
    assert head() == before


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/reseller/api/audit/events?until=0.5", "until"),
        ("/reseller/api/audit/events?since=2027-01-01T00:00:00", "since"),
        ("/reseller/api/audit/events?since=0001-01-01T00:00:00Z", "since"),
    ],
)
def test_numbers_naive_and_edge_instants_in_the_query_are_refused(
    client: TestClient, isp_headers: dict[str, str], url: str, field: str
) -> None:
    body = assert_problem(client.get(url, headers=isp_headers), 422, field)
    if "T00:00:00" in url and "Z" not in url:
        assert "offset" in json.dumps(body)


@pytest.mark.parametrize("value", ["0", "0001-01-01", "9999-12-31"])
def test_edge_dates_in_reports_and_proformas_are_refused(
    client: TestClient, tenant: Any, value: str
) -> None:
    for url, field in (
        (f"/reseller/api/reports/revenue?date_to={value}", "date_to"),
        (
            "/reseller/api/customers/00000000-0000-4000-8000-000000000000/invoices/proforma"
            f"?period_start={value}&period_end=2026-01-31",
            "period_start",
        ),
    ):
        body = assert_problem(client.get(url, headers=tenant.headers()), 422, field)
        if value != "0":
            assert "2000-01-01 and 2099-12-31" in json.dumps(body)


def test_a_naive_instant_asks_for_an_offset(client: TestClient, tenant: Any, head: Any) -> None:
    before = head()
    response = client.post(
        "/reseller/api/tokens",
        json={"label": "x", "role": "readonly", "expires_at": "2027-01-01T00:00:00"},
        headers=tenant.headers(),
    )
    body = assert_problem(response, 422, "expires_at")
    assert "offset" in json.dumps(body)
    assert head() == before


@pytest.mark.parametrize("field", ["permissions", "allowed_customer_ids", "ip_whitelist"])
def test_null_for_a_list_in_a_user_patch_is_a_422(
    client: TestClient, tenant: Any, head: Any, field: str
) -> None:
    created = client.post(
        "/reseller/api/users",
        json={"username": f"u{field[:6]}", "email": "u@example.com", "role": "user"},
        headers=tenant.headers(),
    )
    assert created.status_code == 201, created.text
    url = f"/reseller/api/users/{created.json()['user_id']}"
    before = head()
    assert_problem(client.patch(url, json={field: None}, headers=tenant.headers()), 422, field)
    assert head() == before
    cleared = client.patch(url, json={field: []}, headers=tenant.headers())
    assert cleared.status_code == 200, cleared.text


def test_a_json_number_is_no_body_for_any_operation(
    client: TestClient, isp_headers: dict[str, str], head: Any
) -> None:
    """FastAPI validates bodies from attributes: a number (a Decimal once parsed) used to pass as
    a PATCH whose fields are all optional, and was applied (schemathesis found it)."""
    document = client.get("/openapi.json").json()
    sent = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", "1")
            before = head()
            response = client.request(
                method.upper(),
                url,
                content=b"5.5",
                headers={**isp_headers, "content-type": "application/json"},
            )
            assert 400 <= response.status_code < 500, (method, path, response.text)
            assert head() == before, (method, path)
            sent += 1
    assert sent > 50
