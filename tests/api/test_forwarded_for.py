"""Issue 11 §6: X-Forwarded-For is believed only from the proxies in LEDGER_TRUSTED_PROXIES.

Untrusted: a real uvicorn on loopback, configured as `ledger serve` runs it (uvicorn's own
default believes any loopback peer), sprayed with rotating forged headers. Trusted: the same
app with 127.0.0.0/8 trusted, behind which the rightmost untrusted address is the client."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import replace

import httpx
import pytest

from api.client_address import client_address, parse_trusted_proxies
from tests.api.auth_helpers import add_user, bearer, client_from, eventually, fresh_ip, login
from tests.api.helpers import assert_problem
from tests.support.live_server import live_server

WRONG = "Wrong-Password-9"
WHITELISTED = "198.51.100.23"
LOOPBACK = parse_trusted_proxies("127.0.0.0/8, ::1")


def test_the_rightmost_untrusted_address_is_the_client():
    proxies = parse_trusted_proxies("10.0.0.0/8,192.0.2.1")
    assert client_address("203.0.113.9", ["198.51.100.1"], proxies) == "203.0.113.9"
    assert client_address("10.1.1.1", ["198.51.100.1"], proxies) == "198.51.100.1"
    # The client wrote the leftmost entry itself; the proxies appended the rest.
    assert client_address("10.1.1.1", ["198.51.100.1, 203.0.113.4, 192.0.2.1"], proxies) == (
        "203.0.113.4"
    )
    assert client_address("10.1.1.1", ["198.51.100.1", "203.0.113.4:5555"], proxies) == (
        "203.0.113.4"
    )
    assert client_address("10.1.1.1", ["[2001:db8::7]:443"], proxies) == "2001:db8::7"
    # Garbage ends the walk at the last address a trusted proxy vouched for.
    assert client_address("10.1.1.1", ["198.51.100.1, bogus, 10.2.2.2"], proxies) == "10.2.2.2"
    assert client_address("10.1.1.1", [], proxies) == "10.1.1.1"
    assert client_address("10.1.1.1", ["198.51.100.1"], ()) == "10.1.1.1"
    assert client_address("testclient", ["198.51.100.1"], proxies) == "testclient"
    with pytest.raises(ValueError, match="not an IP"):
        parse_trusted_proxies("10.0.0.0/8, nonsense")


def test_forged_headers_from_an_untrusted_peer_are_ignored(api_services, client, tenant):
    user = add_user(client, tenant, ip_whitelist=["198.51.100.0/24"])
    inside = client_from(api_services, WHITELISTED)
    session = login(inside, tenant, user["username"])
    assert session.status_code == 200
    with live_server(api_services) as url, httpx.Client(base_url=url, timeout=30) as http:
        forged = {**bearer(session), "X-Forwarded-For": WHITELISTED}
        # The whitelist sees the real peer (127.0.0.1), not the forged header.
        assert_problem(http.get("/reseller/api/customers", headers=forged), 403)
        answers = [
            http.post(
                "/reseller/auth/login",
                json={
                    "username": f"guess-{uuid.uuid4().hex[:8]}",
                    "password": WRONG,
                    "reseller_code": tenant.code,
                },
                headers={"X-Forwarded-For": f"192.0.2.{i + 1}"},
            ).status_code
            for i in range(30)
        ]
    # One source, whatever it claims: locked after 20 failures (LEDGER_LOGIN_IP_MAX_FAILURES).
    assert answers == [401] * 20 + [429] * 10


def test_a_trusted_proxy_forwards_the_client_address(api_services, client, tenant):
    user = add_user(client, tenant, ip_whitelist=["198.51.100.0/24"])
    proxied = replace(api_services, config=replace(api_services.config, trusted_proxies=LOOPBACK))
    proxy = client_from(proxied, "127.0.0.1")
    session = proxy.post(
        "/reseller/auth/login",
        json={
            "username": user["username"],
            "password": "Correct-Horse-42",
            "reseller_code": tenant.code,
        },
        headers={"X-Forwarded-For": f"203.0.113.50, {WHITELISTED}"},
    )
    assert session.status_code == 200, session.text
    assert (
        proxy.get(
            "/reseller/api/customers",
            headers={**bearer(session), "X-Forwarded-For": f"{WHITELISTED}, 127.0.0.2"},
        ).status_code
        == 200
    )
    # A forged whitelisted address to the left of the real one proves nothing.
    assert_problem(
        proxy.get(
            "/reseller/api/customers",
            headers={**bearer(session), "X-Forwarded-For": f"{WHITELISTED}, 203.0.113.50"},
        ),
        403,
    )
    # The login history records the forwarded client, not the proxy.
    history = eventually(
        lambda: [
            row
            for row in client.get(
                "/reseller/api/activity/logins",
                params={"user_id": user["user_id"]},
                headers=tenant.headers(),
            ).json()
            if row.get("ip") == WHITELISTED
        ]
    )
    assert history, "the login's forwarded address was not recorded"


def test_each_forwarded_client_is_throttled_on_its_own(api_services, client, tenant):
    proxied = replace(api_services, config=replace(api_services.config, trusted_proxies=LOOPBACK))
    proxy = client_from(proxied, "127.0.0.1")
    attacker, bystander = fresh_ip(), fresh_ip()
    assert ipaddress.ip_address(attacker)
    answers = [
        proxy.post(
            "/reseller/auth/login",
            json={
                "username": f"g{uuid.uuid4().hex[:8]}",
                "password": WRONG,
                "reseller_code": tenant.code,
            },
            headers={"X-Forwarded-For": attacker},
        ).status_code
        for _ in range(21)
    ]
    assert answers == [401] * 20 + [429]
    other = proxy.post(
        "/reseller/auth/login",
        json={
            "username": f"g{uuid.uuid4().hex[:8]}",
            "password": WRONG,
            "reseller_code": tenant.code,
        },
        headers={"X-Forwarded-For": bystander},
    )
    assert other.status_code == 401
