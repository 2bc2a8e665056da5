"""Sessions with a controllable clock: concurrent limit (refuse or evict), idle timeout,
absolute lifetime, revocation by the user and by an admin, and disabling an account."""

import dataclasses
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.access.auth_policy import SessionPolicy
from tests.api.auth_helpers import add_user, bearer, client_from, fresh_ip, login
from tests.api.helpers import assert_problem


@pytest.fixture
def client(api_services):
    return client_from(api_services, fresh_ip())


def works(client, session):
    return client.get("/reseller/api/customers", headers=bearer(session)).status_code == 200


def test_concurrent_session_limit_refuses_the_sixth(client, tenant):
    user = add_user(client, tenant)
    sessions = [login(client, tenant, user["username"]) for _ in range(5)]
    assert all(s.status_code == 200 for s in sessions)
    assert_problem(login(client, tenant, user["username"]), 409)
    client.post("/reseller/auth/logout", headers=bearer(sessions[0]))
    assert login(client, tenant, user["username"]).status_code == 200


def test_concurrent_session_limit_can_evict_the_oldest(api_services, tenant):
    config = dataclasses.replace(
        api_services.auth.config,
        session_policy=SessionPolicy(max_concurrent=2, on_limit="evict_oldest"),
    )
    services = dataclasses.replace(
        api_services, auth=dataclasses.replace(api_services.auth, config=config)
    )
    client = TestClient(create_app(services), client=(fresh_ip(), 1))
    user = add_user(client, tenant)
    first, second, third = (login(client, tenant, user["username"]) for _ in range(3))
    assert third.status_code == 200
    assert not works(client, first)
    assert works(client, second) and works(client, third)


def test_idle_timeout_and_activity_renewal(client, tenant, clock):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    for _ in range(3):  # activity keeps it alive past the 30-minute idle timeout
        clock.advance(minutes=20)
        assert works(client, session)
    clock.advance(minutes=31)
    assert not works(client, session)


def test_absolute_lifetime(client, tenant, clock):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    for _ in range(35):  # active every 20 minutes, but never beyond 12 hours
        clock.advance(minutes=20)
        assert works(client, session)
    clock.advance(minutes=20)
    assert not works(client, session)


def test_revoke_own_session_and_admin_revokes_all(client, tenant):
    user = add_user(client, tenant)
    one, two, three = (login(client, tenant, user["username"]) for _ in range(3))
    listed = client.get("/reseller/auth/sessions", headers=bearer(one)).json()
    assert len(listed) == 3
    other = next(s["session_id"] for s in listed if not s["current"])
    assert client.delete(f"/reseller/auth/sessions/{other}", headers=bearer(one)).status_code == 204
    assert len(client.get("/reseller/auth/sessions", headers=bearer(one)).json()) == 2
    revoked = client.post(
        f"/reseller/api/users/{user['user_id']}/sessions/revoke", headers=tenant.headers()
    )
    assert revoked.status_code == 200 and len(revoked.json()["revoked_sessions"]) == 2
    assert not any(works(client, s) for s in (one, two, three))


def test_disabling_a_user_ends_every_session(client, tenant):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    assert works(client, session)
    disabled = client.post(
        f"/reseller/api/users/{user['user_id']}/disable",
        json={"reason": "left"},
        headers=tenant.headers(),
    )
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert not works(client, session)
    assert_problem(login(client, tenant, user["username"]), 401)
    client.post(f"/reseller/api/users/{user['user_id']}/enable", headers=tenant.headers())
    assert login(client, tenant, user["username"]).status_code == 200


def test_session_tokens_do_not_outlive_a_password_change(client, tenant):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    changed = client.post(
        "/reseller/auth/password",
        headers=bearer(session),
        json={"current_password": "Correct-Horse-42", "new_password": "Battery-Staple-77"},
    )
    assert changed.status_code == 200
    assert not works(client, session)
    assert login(client, tenant, user["username"], password="Battery-Staple-77").status_code == 200
    assert_problem(
        client.post(
            "/reseller/auth/password",
            headers=bearer(login(client, tenant, user["username"], password="Battery-Staple-77")),
            json={"current_password": "Battery-Staple-77", "new_password": "short"},
        ),
        422,
        "password",
    )


def test_idle_timeout_is_measured_from_the_last_activity(client, tenant, clock):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    clock.advance(minutes=29)
    assert works(client, session)
    clock.advance(minutes=29, seconds=59)
    assert works(client, session)
    clock.advance(seconds=timedelta(minutes=30).total_seconds())
    assert not works(client, session)


def test_a_reset_password_must_be_changed_before_anything_else(client, tenant):
    user = add_user(client, tenant)
    reset = client.post(
        f"/reseller/api/users/{user['user_id']}/reset-password", headers=tenant.headers()
    )
    temporary = reset.json()["temporary_password"]
    session = login(client, tenant, user["username"], password=temporary)
    assert session.json()["scope"] == "change_password"
    assert_problem(client.get("/reseller/api/customers", headers=bearer(session)), 403)
    changed = client.post(
        "/reseller/auth/password",
        headers=bearer(session),
        json={"current_password": temporary, "new_password": "Fresh-Start-2026"},
    )
    assert changed.status_code == 200
    fresh = login(client, tenant, user["username"], password="Fresh-Start-2026")
    assert fresh.json()["scope"] == "full" and works(client, fresh)
