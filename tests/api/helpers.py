from __future__ import annotations

from typing import Any

SEED_CUSTOMER: dict[str, Any] = {
    "customer_type": "person",
    "first_name": "John",
    "last_name": "Doe",
    "email": "john@example.com",
    "phone": "+1234567890",
    "address": "123 Main St",
    "city": "Lagos",
    "reseller_id": 1,
    "portal_id": "auto-generated",
    "generate_credentials": True,
}


def seed_customer(reseller: int | None, **overrides: Any) -> dict[str, Any]:
    return {**SEED_CUSTOMER, "reseller_id": reseller, **overrides}


def position(response: Any) -> int:
    return int(response.headers["Ledger-Position"])


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    if field is not None:
        fields = {e["field"] for e in body.get("errors", [])}
        assert any(f == field or f.startswith(field + ".") for f in fields), body
    return body
