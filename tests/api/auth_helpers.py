from __future__ import annotations

import uuid
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from api.app import create_app

PASSWORD = "Correct-Horse-42"


def client_from(api_services: Any, ip: str) -> TestClient:
    """A client whose requests come from `ip`."""
    return TestClient(create_app(api_services), client=(ip, 50_000))


def add_user(
    client: TestClient,
    tenant: Any,
    role: str = "manager",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "username": f"u{uuid.uuid4().hex[:10]}",
        "email": f"{uuid.uuid4().hex[:8]}@example.com",
        "first_name": "Jane",
        "last_name": "Smith",
        "role": role,
        "permissions": [],
        "allowed_customer_ids": [],
        "ip_whitelist": [],
        "department": "Customer Service",
        "password": PASSWORD,
        **fields,
    }
    response = client.post("/reseller/api/users", json=body, headers=headers or tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()


def login(
    client: TestClient,
    tenant: Any,
    username: str,
    password: str = PASSWORD,
    code: str | None = None,
) -> Any:
    body = {"username": username, "password": password, "reseller_code": tenant.code}
    if code is not None:
        body["two_factor_code"] = code
    return client.post("/reseller/auth/login", json=body)


def bearer(session: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.json()['session_token']}"}


def totp_now(secret: str, clock: Any) -> str:
    return pyotp.TOTP(secret).at(clock())


def eventually(probe: Any, timeout_s: float = 10.0) -> Any:
    """Poll `probe` until it returns something truthy (projections are asynchronous)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


_next_ip = iter(range(1, 1 << 24))


def fresh_ip() -> str:
    """A distinct address per caller, so throttling by source never leaks between tests."""
    n = next(_next_ip)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
