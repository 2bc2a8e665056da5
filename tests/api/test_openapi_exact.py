"""Issue 11 §11: the OpenAPI document tells the truth about headers, statuses and media types."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_problem


def _doc(client: Any) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == name:
            return parameter
    return None


def test_idempotency_key_is_advertised_only_where_it_is_taken(client, tenant):
    paths = _doc(client)["paths"]
    assert _header(paths["/reseller/api/tokens"]["post"], "Idempotency-Key") is None
    reset = paths["/reseller/api/users/{user_id}/reset-password"]["post"]
    assert _header(reset, "Idempotency-Key") is None
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "get":
                assert _header(operation, "Idempotency-Key") is None, path
    key = _header(paths["/reseller/api/customers"]["post"], "Idempotency-Key")
    assert key is not None
    schema = next(s for s in key["schema"]["anyOf"] if s.get("type") == "string")
    assert (schema["minLength"], schema["maxLength"]) == (1, 255)
    assert schema["pattern"] == "^[\\x21-\\x7e]+$"
    # What the schema says is what the server holds to.
    refused = client.post(
        "/reseller/api/customers", json={}, headers=tenant.headers(**{"Idempotency-Key": "a b"})
    )
    assert_problem(refused, 422, "Idempotency-Key")
    issued = client.post(
        "/reseller/api/tokens",
        json={"label": "x", "role": "readonly"},
        headers=tenant.headers(**{"Idempotency-Key": "k1"}),
    )
    assert_problem(issued, 422, "Idempotency-Key")


def test_file_responses_name_their_media_types(client):
    paths = _doc(client)["paths"]
    audit = paths["/reseller/api/audit/export"]["get"]["responses"]["200"]["content"]
    assert set(audit) == {"text/csv", "application/x-ndjson"}
    nec = paths["/reseller/api/statements/1099-nec"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/pdf"} <= set(nec)
    vat = paths["/reseller/api/statements/vat"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/pdf"} <= set(vat)
    assert any("spreadsheetml" in media for media in vat)
    bill = paths["/reseller/api/customers/{customer_id}/invoices"]["post"]["responses"]
    assert {"200", "201"} <= set(bill)
    for path, operations in paths.items():
        for operation in operations.values():
            if path.startswith("/reseller/"):
                assert {"400", "422", "429"} <= set(operation["responses"]), path


def test_method_not_allowed_lists_every_method_of_the_path(client, tenant):
    response = client.delete("/reseller/api/customers", headers=tenant.headers())
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    response = client.put("/reseller/api/users", headers=tenant.headers())
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
