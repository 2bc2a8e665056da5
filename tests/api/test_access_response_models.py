"""The access routes answer exactly the shapes the OpenAPI document gives them (issue 12), and
a write answers the shape of the GET of what it wrote."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.routers.access.schemas import (
    RolesOut,
    SecuritySettingsOut,
    TokenRevokedOut,
    UserOut,
    UserWithGrantsOut,
)
from domain.access.roles import Role
from tests.api.auth_helpers import add_user
from tests.api.response_models import Operation, documented, misnamed
from tests.support.builders import Tenant

USER = "/reseller/api/users/{user_id}"


OPERATIONS: list[Operation] = [
    ("post", "/reseller/api/users", 201, UserOut),
    ("get", USER, 200, UserOut),
    ("patch", USER, 200, UserOut),
    ("post", USER + "/disable", 200, UserOut),
    ("post", USER + "/enable", 200, UserOut),
    ("post", USER + "/grants", 200, UserWithGrantsOut),
    ("patch", "/reseller/api/settings/security", 200, SecuritySettingsOut),
    ("get", "/reseller/api/roles", 200, RolesOut),
    ("post", "/reseller/api/roles", 201, RolesOut),
    ("delete", "/reseller/api/roles/{name}", 200, RolesOut),
    ("delete", "/reseller/api/tokens/{token_id}", 200, TokenRevokedOut),
]


def test_the_document_names_the_models(client: TestClient) -> None:
    assert misnamed(client.app.openapi(), OPERATIONS) == []  # type: ignore[attr-defined]


def test_a_user_and_every_write_to_it(client: TestClient, tenant: Tenant, clock: Any) -> None:
    created = client.post(
        "/reseller/api/users",
        headers=tenant.headers(),
        json={
            "username": f"u{uuid.uuid4().hex[:10]}",
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "first_name": "Jane",
            "last_name": "Smith",
            "role": "manager",
            "permissions": ["customer_view"],
            "ip_whitelist": ["198.51.100.0/24"],
            "department": "Customer Service",
        },
    )
    user = documented(created, UserOut)
    path = f"/reseller/api/users/{user['user_id']}"
    read = documented(client.get(path, headers=tenant.headers()), UserOut)
    assert read == user  # the creating POST answers what the GET shows
    modified = client.patch(path, json={"department": "Sales"}, headers=tenant.headers())
    assert documented(modified, UserOut)["department"] == "Sales"
    disabled = client.post(f"{path}/disable", json={"reason": "left"}, headers=tenant.headers())
    assert documented(disabled, UserOut)["status"] == "disabled"
    enabled = client.post(f"{path}/enable", headers=tenant.headers())
    assert documented(enabled, UserOut)["status"] == "active"
    until = (clock() + timedelta(hours=1)).isoformat()
    granted = client.post(
        f"{path}/grants",
        json={"permission": "customer_create", "expires_at": until},
        headers=tenant.headers(),
    )
    assert set(documented(granted, UserWithGrantsOut)["grants"]) == {"customer_create"}
    # A user without e-mail or names still fits the model (the nullable fields).
    bare = add_user(client, tenant, role="user", first_name=None, last_name=None)
    UserOut.model_validate(bare, strict=True)


def test_security_settings(client: TestClient, tenant: Tenant) -> None:
    changed = client.patch(
        "/reseller/api/settings/security",
        json={"require_two_factor": False},
        headers=tenant.headers(),
    )
    assert documented(changed, SecuritySettingsOut)["reseller_id"] == tenant.number


def test_roles_defined_listed_and_removed(client: TestClient, tenant: Tenant) -> None:
    before = documented(client.get("/reseller/api/roles", headers=tenant.headers()), RolesOut)
    assert before["custom"] == {}
    defined = client.post(
        "/reseller/api/roles",
        headers=tenant.headers(),
        json={"name": "billing-clerk", "base_role": "manager", "permissions": ["customer_view"]},
    )
    after = documented(defined, RolesOut)
    listed = documented(client.get("/reseller/api/roles", headers=tenant.headers()), RolesOut)
    assert listed == after  # the creating POST answers what the GET shows
    assert after["custom"]["billing-clerk"]["base_role"] == "manager"
    removed = client.delete("/reseller/api/roles/billing-clerk", headers=tenant.headers())
    assert documented(removed, RolesOut)["custom"] == {}


def test_token_revocation(client: TestClient, tenant: Tenant) -> None:
    issued = client.post(
        "/reseller/api/tokens",
        headers=tenant.headers(Role.ADMIN),
        json={"label": "to revoke", "role": "user"},
    )
    assert issued.status_code == 201, issued.text
    token_id = issued.json()["token_id"]
    revoked = client.delete(f"/reseller/api/tokens/{token_id}", headers=tenant.headers())
    assert documented(revoked, TokenRevokedOut) == {"token_id": token_id, "revoked": True}


def test_the_check_refuses_an_undocumented_field_and_a_coerced_type() -> None:
    body = {"token_id": "t-1", "revoked": True}
    assert documented(httpx.Response(200, json=body), TokenRevokedOut) == body
    with pytest.raises(ValidationError):
        documented(httpx.Response(200, json=body | {"label": "extra"}), TokenRevokedOut)
    with pytest.raises(ValidationError):
        documented(httpx.Response(200, json=body | {"token_id": 1}), TokenRevokedOut)
