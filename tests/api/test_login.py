"""Login end to end: password, TOTP enrollment and login, replay refused, recovery codes once,
identical answers for every kind of wrong credential."""

import pytest

from tests.api.auth_helpers import (
    PASSWORD,
    add_user,
    bearer,
    client_from,
    eventually,
    fresh_ip,
    login,
    totp_now,
)
from tests.api.helpers import assert_problem


@pytest.fixture
def client(api_services):
    return client_from(api_services, fresh_ip())


def test_login_and_use_the_session(client, tenant):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    assert session.status_code == 200, session.text
    body = session.json()
    assert body["session_token"].startswith("rs_") and body["scope"] == "full"
    me = client.get("/reseller/api/customers", headers=bearer(session))
    assert me.status_code == 200
    sessions = client.get("/reseller/auth/sessions", headers=bearer(session)).json()
    assert [s["current"] for s in sessions] == [True]
    assert client.post("/reseller/auth/logout", headers=bearer(session)).status_code == 204
    assert_problem(client.get("/reseller/api/customers", headers=bearer(session)), 401)


def test_wrong_credentials_all_look_the_same(client, tenant, other_tenant):
    user = add_user(client, tenant)
    answers = [
        login(client, tenant, user["username"], password="Wrong-Password-1"),
        login(client, tenant, "nobody-by-that-name"),
        client.post(
            "/reseller/auth/login",
            json={
                "username": user["username"],
                "password": PASSWORD,
                "reseller_code": "NO_SUCH_CODE",
            },
        ),
        login(client, other_tenant, user["username"]),
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.content for a in answers}) == 1


def test_two_factor_enrollment_login_replay_and_recovery_codes(client, tenant, clock):
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    enrolled = client.post(
        "/reseller/auth/2fa/enroll", json={"password": PASSWORD}, headers=bearer(session)
    )
    assert enrolled.status_code == 200
    secret = enrolled.json()["secret"]
    assert enrolled.json()["provisioning_uri"].startswith("otpauth://totp/")
    assert_problem(
        client.post("/reseller/auth/2fa/confirm", json={"code": "000000"}, headers=bearer(session)),
        422,
        "code",
    )
    confirmed = client.post(
        "/reseller/auth/2fa/confirm",
        json={"code": totp_now(secret, clock)},
        headers=bearer(session),
    )
    assert confirmed.status_code == 200
    recovery_codes = confirmed.json()["recovery_codes"]
    assert len(recovery_codes) == 10
    # Enabling a factor ends every session.
    assert_problem(client.get("/reseller/api/customers", headers=bearer(session)), 401)

    missing = login(client, tenant, user["username"])
    assert_problem(missing, 401, "two_factor_code")
    # The code used to confirm enrollment is spent: the next login needs a later step.
    clock.advance(seconds=30)
    code = totp_now(secret, clock)
    first = login(client, tenant, user["username"], code=code)
    assert first.status_code == 200, first.text
    replay = login(client, tenant, user["username"], code=code)
    assert_problem(replay, 401, "two_factor_code")

    recovered = login(client, tenant, user["username"], code=recovery_codes[0])
    assert recovered.status_code == 200
    assert_problem(login(client, tenant, user["username"], code=recovery_codes[0]), 401)
    assert login(client, tenant, user["username"], code=recovery_codes[1]).status_code == 200

    def successes():
        history = client.get(
            "/reseller/api/activity/logins",
            params={"user_id": user["user_id"], "limit": 50},
            headers=tenant.headers(),
        ).json()
        done = {h["detail"] for h in history if h["outcome"] == "success"}
        return done if len(done) == 3 else None

    assert eventually(successes) == {"password", "password+totp", "password+recovery_code"}


def test_admins_can_require_two_factor_for_the_team(client, tenant):
    user = add_user(client, tenant)
    settings = client.patch(
        "/reseller/api/settings/security",
        json={"require_two_factor": True},
        headers=tenant.headers(),
    )
    assert settings.status_code == 200 and settings.json()["require_two_factor"] is True
    session = login(client, tenant, user["username"])
    assert session.json()["scope"] == "enroll_2fa"
    assert session.json()["two_factor_enrollment_required"] is True
    assert_problem(client.get("/reseller/api/customers", headers=bearer(session)), 403)
    enroll = client.post(
        "/reseller/auth/2fa/enroll", json={"password": PASSWORD}, headers=bearer(session)
    )
    assert enroll.status_code == 200
