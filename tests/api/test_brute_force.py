"""Failed-login protection: per account and per source IP, lockout with backoff, a correct
password refused while locked, and the lock lifting after its time (a controllable clock)."""

import uuid

from tests.api.auth_helpers import add_user, client_from, login
from tests.api.helpers import assert_problem

WRONG = "Wrong-Password-9"


def statuses(responses):
    return [r.status_code for r in responses]


def test_fifty_wrong_passwords_from_one_ip(client, api_services, tenant, clock):
    user = add_user(client, tenant)
    attacker = client_from(api_services, "203.0.113.7")
    answers = [login(attacker, tenant, user["username"], WRONG) for _ in range(50)]
    # The account locks after 5 failures (LEDGER_LOGIN_ACCOUNT_MAX_FAILURES).
    assert statuses(answers) == [401] * 5 + [429] * 45
    locked = login(attacker, tenant, user["username"])
    assert_problem(locked, 429)
    assert 1 <= int(locked.headers["Retry-After"]) <= 61
    assert_problem(login(client_from(api_services, "198.51.100.1"), tenant, user["username"]), 429)
    clock.advance(seconds=61)
    assert login(attacker, tenant, user["username"]).status_code == 200


def test_lockouts_back_off(client, api_services, tenant, clock):
    user = add_user(client, tenant)
    attacker = client_from(api_services, "203.0.113.8")
    for lockout_s in (60, 120, 240):
        for _ in range(5):
            login(attacker, tenant, user["username"], WRONG)
        # Ten seconds short of the lockout: still locked however slowly a loaded machine runs
        # the logins (the clock is real time plus the advances), and longer than the last one.
        clock.advance(seconds=lockout_s - 10)
        assert_problem(login(attacker, tenant, user["username"]), 429)
        clock.advance(seconds=11)


def test_fifty_wrong_passwords_spread_across_ips(client, api_services, tenant, clock):
    user = add_user(client, tenant)
    answers = [
        login(client_from(api_services, f"192.0.2.{i + 1}"), tenant, user["username"], WRONG)
        for i in range(50)
    ]
    assert statuses(answers) == [401] * 5 + [429] * 45
    assert_problem(login(client_from(api_services, "192.0.2.200"), tenant, user["username"]), 429)
    clock.advance(seconds=61)
    assert (
        login(client_from(api_services, "192.0.2.201"), tenant, user["username"]).status_code == 200
    )


def test_one_ip_guessing_many_accounts_is_locked_out(client, api_services, tenant, clock):
    user = add_user(client, tenant)
    attacker = client_from(api_services, "203.0.113.99")
    answers = [login(attacker, tenant, f"guess-{uuid.uuid4().hex[:6]}", WRONG) for _ in range(50)]
    # The source locks after 20 failures (LEDGER_LOGIN_IP_MAX_FAILURES), whatever the account.
    assert statuses(answers) == [401] * 20 + [429] * 30
    assert_problem(login(attacker, tenant, user["username"]), 429)
    assert (
        login(client_from(api_services, "203.0.113.100"), tenant, user["username"]).status_code
        == 200
    )
    clock.advance(seconds=301)
    assert login(attacker, tenant, user["username"]).status_code == 200


def test_unknown_accounts_lock_like_real_ones(api_services, tenant):
    attacker = client_from(api_services, "203.0.113.50")
    answers = [login(attacker, tenant, "ghost-user", WRONG) for _ in range(7)]
    assert statuses(answers) == [401] * 5 + [429] * 2
