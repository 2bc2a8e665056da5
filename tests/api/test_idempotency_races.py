"""Two requests with the same Idempotency-Key racing each other get the same answer.

For every mutating operation of the OpenAPI document: a fresh valid request (the authorization
matrix's builders), sent twice at once from two threads released by a barrier, with one key.
Both responses must be the same, byte for byte (status and body). The IETF draft also allows a
409 for a twin that arrives while the first is still running; the runner never needs it, so
this test does not accept it: a twin that computes a success collides with the first's
idempotency record on save, and a twin refused because of the first's success ("this invoice
was already issued", "already active", a natural key now taken) re-reads that record. An
operation with neither a race test nor a stated reason fails the enumeration test.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from domain.access.roles import ROLE_PERMISSIONS, Role
from tests.api import test_authorization_matrix as matrix
from tests.api.auth_helpers import PASSWORD, add_user, bearer, login
from tests.api.helpers import assert_problem
from tests.support.builders import Tenant, new_reseller
from tests.support.webhooks import new_subscription

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
TRIALS = 50
Sent = tuple[matrix.Request, dict[str, str]]

REFUSES_KEY = "refuses an Idempotency-Key (422): "
NOT_RACED: dict[tuple[str, str], str] = {
    ("POST", "/reseller/auth/login"): "anonymous: the Idempotency-Key header is not read",
    ("POST", "/reseller/auth/logout"): "ends the caller's own session (a repeat is a 401)",
    ("DELETE", "/reseller/auth/sessions/{session_id}"): "acts on the caller's own sessions",
    ("POST", "/reseller/auth/password"): REFUSES_KEY + "the request holds passwords",
    ("POST", "/reseller/auth/2fa/enroll"): REFUSES_KEY + "the response holds the secret",
    ("POST", "/reseller/auth/2fa/confirm"): REFUSES_KEY + "the response holds recovery codes",
    ("POST", "/reseller/auth/2fa/disable"): REFUSES_KEY + "the request holds a password",
    ("POST", "/reseller/api/tokens"): REFUSES_KEY + "the response holds the secret",
    ("POST", "/reseller/api/webhooks/subscriptions"): REFUSES_KEY + "the response holds the secret",
    ("POST", "/reseller/api/webhooks/subscriptions/{subscription_id}/rotate-secret"): (
        REFUSES_KEY + "the response holds the new secret"
    ),
    ("POST", "/reseller/api/users/{user_id}/reset-password"): REFUSES_KEY + "it holds a secret",
    ("POST", "/reseller/api/users/{user_id}/sessions/revoke"): (
        "revokes sessions in the session store, not a stored command"
    ),
    ("POST", "/reseller/api/billing/runs"): "enqueues jobs; each customer's bill is idempotent",
    ("PUT", "/reseller/api/notification-preferences"): (
        "replaces the caller's own preferences (user state, not a stored command): a repeat "
        "sets the same values"
    ),
    ("PUT", "/reseller/api/notifications/{notification_id}/read"): (
        "marks the caller's own notification read (user state, not a stored command): a repeat "
        "leaves it read"
    ),
}


def mutating_operations(client: Any) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()
        for method in operations
        if method.upper() in MUTATING
    }


RACED = sorted(
    (
        route
        for route, policy in matrix.POLICY.items()
        if route[0] in MUTATING and isinstance(policy, matrix.Scoped) and route not in NOT_RACED
    ),
    key=str,
)


def test_every_mutating_operation_is_raced_or_says_why(client: Any) -> None:
    operations = mutating_operations(client)
    unaccounted = operations - set(RACED) - NOT_RACED.keys()
    stale = (set(RACED) | NOT_RACED.keys()) - operations
    assert not unaccounted, f"operations with no same-key race test: {sorted(unaccounted)}"
    assert not stale, f"race entries for operations that no longer exist: {sorted(stale)}"


@pytest.fixture
def racer(
    request: pytest.FixtureRequest, store: Any, isp_headers: dict[str, str]
) -> tuple[Tenant, dict[str, str]]:
    """A tenant of its own per operation, with room on its credit account for every trial's
    wholesale charges (the limit-increase builders ask for 2000.00 and 5000.00)."""
    route = request.node.callspec.params["route"]
    limit = "1000.00" if "limit-increases" in route[1] else "1000000.00"
    tenant = new_reseller(store, roles=(Role.ADMIN,), credit_limit=limit)
    return tenant, isp_headers


def _send_twice(client: Any, method: str, sent: Sent) -> tuple[Any, Any]:
    """The request twice at once: both threads leave one barrier together."""
    (url, params, body), headers = sent
    barrier = threading.Barrier(2)
    responses: list[Any] = [None, None]

    def send(slot: int) -> None:
        barrier.wait()
        responses[slot] = client.request(method, url, params=params, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses[0], responses[1]


@pytest.mark.parametrize("route", RACED, ids=[f"{m} {p}" for m, p in RACED])
def test_same_key_twins_get_the_first_response(
    route: tuple[str, str], client: Any, store: Any, racer: Any
) -> None:
    tenant, isp_headers = racer
    method, _ = route
    policy: matrix.Scoped = matrix.POLICY[route]
    matrix._api_clock[:] = [client.app.state.services.clock]
    admin = ROLE_PERMISSIONS[Role.ADMIN]
    as_isp = policy.isp_only or (policy.permission is not None and policy.permission not in admin)
    principal = isp_headers if as_isp else tenant.headers()
    differing = []
    for trial in range(TRIALS):
        key = f"race-{uuid.uuid4()}"
        first, twin = _send_twice(
            client,
            method,
            (policy.build(store, tenant.number), {**principal, "Idempotency-Key": key}),
        )
        assert 200 <= min(first.status_code, twin.status_code) < 300, (trial, first.text, twin.text)
        if (first.status_code, first.content) != (twin.status_code, twin.content):
            differing.append((trial, first.status_code, twin.status_code, twin.text[:160]))
    assert not differing, differing


def test_operations_that_cannot_replay_refuse_a_key_and_write_nothing(
    client: Any, store: Any, tenant: Tenant, isp_headers: dict[str, str]
) -> None:
    # A reseller's admins are the ISP's to add.
    user = add_user(client, tenant, role="admin", headers=isp_headers, reseller_id=tenant.number)
    session = bearer(login(client, tenant, user["username"]))
    webhook = new_subscription(store, tenant.number)["subscription_id"]
    bodies = {
        "/reseller/auth/password": {
            "current_password": PASSWORD,
            "new_password": "Other-Pass-1234",
        },
        "/reseller/auth/2fa/enroll": {"password": PASSWORD},
        "/reseller/auth/2fa/confirm": {"code": "123456"},
        "/reseller/auth/2fa/disable": {"password": PASSWORD},
        "/reseller/api/tokens": {"label": "k", "role": "readonly", "reseller_id": tenant.number},
        f"/reseller/api/users/{user['user_id']}/reset-password": None,
        "/reseller/api/webhooks/subscriptions": {
            "url": "https://hooks.example.com/",
            "event_types": ["invoice.issued"],
        },
        f"/reseller/api/webhooks/subscriptions/{webhook}/rotate-secret": None,
    }
    refusing = {path for (_, path), why in NOT_RACED.items() if why.startswith(REFUSES_KEY)}
    assert len(refusing) == len(bodies)
    for url, body in bodies.items():
        head = store.recorder.max_notification_id()
        headers = {**session, "Idempotency-Key": f"k-{uuid.uuid4()}"}
        assert_problem(client.post(url, json=body, headers=headers), 422, "Idempotency-Key")
        assert store.recorder.max_notification_id() == head, url
