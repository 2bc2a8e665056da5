"""Rank in user management, as a generated table (issue 11 §1, must-show 4).

For every user-management route, every actor role (the master ISP's admin and each reseller
role, each through its own API token) acts on a fresh user of every reseller role in the same
reseller. The predicted status: 2xx only when the actor holds `user_manage` *and* its role
outranks the target's (the ISP admin above every reseller role, a reseller admin above its
managers, users and readonly members, never a peer); 403 otherwise. The same table again with
the actor acting on itself: always 403 (self-service has its own routes).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commands.access.users import CreateUser, DisableUser, create_user, set_user_enabled
from domain.access.roles import ISP_ROLES, ROLE_PERMISSIONS, ROLE_RANK, Permission, Role
from tests.api.auth_helpers import PASSWORD, bearer, client_from, fresh_ip, login
from tests.support.builders import context, new_reseller

Body = dict[str, Any] | None
FUTURE = (datetime.now(UTC) + timedelta(days=30)).isoformat()

# route -> (method, path suffix after /users/{id}, body, does the target need to be disabled)
ROUTES: dict[str, tuple[str, str, Body, bool]] = {
    "modify": ("PATCH", "", {"department": "Rank table"}, False),
    "change_role": ("PATCH", "", {"role": "readonly"}, False),
    "disable": ("POST", "/disable", {"reason": "rank table"}, False),
    "enable": ("POST", "/enable", None, True),
    "reset_password": ("POST", "/reset-password", None, False),
    "grant": ("POST", "/grants", {"permission": "customer_view", "expires_at": FUTURE}, False),
    "revoke_sessions": ("POST", "/sessions/revoke", None, False),
}
ACTORS = (Role.ISP_ADMIN, Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY)
TARGETS = (Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY)


def predicted(actor: Role, target: Role) -> str:
    may_manage = Permission.USER_MANAGE in ROLE_PERMISSIONS[actor]
    outranks = ROLE_RANK[actor] > ROLE_RANK[target]
    return "2xx" if may_manage and outranks else "403"


def _new_target(store: Any, number: int, role: Role, disabled: bool) -> str:
    """A reseller user of `role`, made by the master ISP (the only one above a reseller admin)."""
    username = f"rank.{uuid.uuid4().hex[:10]}"
    created = create_user(
        store,
        None,  # type: ignore[arg-type]  (no password: nothing to hash)
        context(),
        CreateUser(
            reseller_id=number, username=username, email=f"{username}@example.com", role=role
        ),
    )
    assert created.status_code == 201, created.body
    user_id = str(json.loads(created.body)["user_id"])
    if disabled:
        result = set_user_enabled(
            store,
            _NoSessions(),  # type: ignore[arg-type]
            context(),
            uuid.UUID(user_id),
            False,
            DisableUser(reason="set up").reason,
        )
        assert result.status_code == 200, result.body
    return user_id


class _NoSessions:
    """Stands in for the auth services when a target without sessions is disabled."""

    class sessions:  # mirrors AuthServices.sessions
        @staticmethod
        def revoke_all(*_: Any) -> list[str]:
            return []


@pytest.fixture(scope="module")
def reseller(store: Any) -> Any:
    return new_reseller(store, roles=tuple(r for r in Role if r not in ISP_ROLES))


def _headers(reseller: Any, isp_headers: dict[str, str], actor: Role) -> dict[str, str]:
    return isp_headers if actor is Role.ISP_ADMIN else reseller.headers(actor)


def _call(
    client: Any, method: str, url: str, body: Body, headers: dict[str, str]
) -> tuple[str, str]:
    response = client.request(method, url, json=body, headers=headers)
    got = "2xx" if 200 <= response.status_code < 300 else str(response.status_code)
    return got, response.text[:160]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_rank_table(route: str, client: Any, store: Any, reseller: Any, isp_headers: Any) -> None:
    method, suffix, body, needs_disabled = ROUTES[route]
    wrong: dict[tuple[str, str], tuple[str, str, str]] = {}
    for actor in ACTORS:
        for target in TARGETS:
            target_id = _new_target(store, reseller.number, target, needs_disabled)
            url = f"/reseller/api/users/{target_id}{suffix}"
            got, text = _call(client, method, url, body, _headers(reseller, isp_headers, actor))
            want = predicted(actor, target)
            if got != want:
                wrong[(actor.value, target.value)] = (want, got, text)
    assert not wrong, wrong
    # The table is not vacuous: some pairs are allowed, some refused.
    cells = {predicted(a, t) for a in ACTORS for t in TARGETS}
    assert cells == {"2xx", "403"}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_nobody_manages_themselves(
    route: str, api_services: Any, store: Any, reseller: Any, isp_headers: Any
) -> None:
    """A reseller admin's own login session, on its own account: refused whatever the route."""
    client = client_from(api_services, fresh_ip())
    username = f"self.{uuid.uuid4().hex[:10]}"
    made = client.post(
        "/reseller/api/users",
        headers=isp_headers,
        json={
            "reseller_id": reseller.number,
            "username": username,
            "email": f"{username}@example.com",
            "role": "admin",
            "password": PASSWORD,
        },
    )
    assert made.status_code == 201, made.text
    method, suffix, body, _ = ROUTES[route]
    session = login(client, reseller, username)
    assert session.status_code == 200, session.text
    url = f"/reseller/api/users/{made.json()['user_id']}{suffix}"
    got, text = _call(client, method, url, body, bearer(session))
    assert got == "403", text


ASSIGN: list[tuple[Role, Role]] = [(a, w) for a in (Role.ISP_ADMIN, Role.ADMIN) for w in TARGETS]


@pytest.mark.parametrize("actor,wanted", ASSIGN, ids=[f"{a.value}->{w.value}" for a, w in ASSIGN])
def test_roles_given_only_below_ones_own(
    actor: Role,
    wanted: Role,
    client: Any,
    reseller: Any,
    isp_headers: Any,
) -> None:
    """Creating a user: the role given must lie strictly below the actor's own."""
    response = client.post(
        "/reseller/api/users",
        headers=_headers(reseller, isp_headers, actor),
        json={
            "reseller_id": reseller.number,
            "username": f"give.{uuid.uuid4().hex[:10]}",
            "email": "give@example.com",
            "role": wanted.value,
        },
    )
    want = 201 if ROLE_RANK[actor] > ROLE_RANK[wanted] else 403
    assert response.status_code == want, response.text
