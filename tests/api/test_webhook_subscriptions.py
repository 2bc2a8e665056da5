"""Webhook subscriptions over the API (issue 16): the secret is shown once and kept encrypted,
URLs and event types are checked, rotation keeps two secrets until the previous is retired,
and a reseller reaches only its own subscriptions."""

from __future__ import annotations

import uuid
from typing import Any

from domain.access.roles import Role
from domain.webhooks.subscription import WebhookSubscription
from tests.api.helpers import assert_problem
from tests.support.webhooks import BASE, TEST_BOX

BODY = {"url": "https://hooks.example.com/in", "event_types": ["invoice.issued"]}


def test_create_shows_the_secret_once_and_stores_it_encrypted(client, store, tenant):
    created = client.post(BASE, json=BODY, headers=tenant.headers())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["reseller_id"] == tenant.number and body["active"] and not body["rotating"]
    read = client.get(f"{BASE}/{body['subscription_id']}", headers=tenant.headers())
    assert read.status_code == 200 and "secret" not in read.json()
    subscription = store.repository.get(uuid.UUID(body["subscription_id"]))
    assert isinstance(subscription, WebhookSubscription)
    (stored,) = subscription.secrets_encrypted
    assert body["secret"] not in stored and TEST_BOX.decrypt(stored) == body["secret"]


def test_urls_and_event_types_are_checked_at_creation(client, tenant):
    for url in ("ftp://hooks.example.com/", "https://user:pw@hooks.example.com/", "hooks"):
        response = client.post(BASE, json={**BODY, "url": url}, headers=tenant.headers())
        assert_problem(response, 422, "url")
    response = client.post(
        BASE, json={**BODY, "event_types": ["customer.registered"]}, headers=tenant.headers()
    )
    assert_problem(response, 422, "event_types")
    response = client.post(BASE, json={**BODY, "event_types": []}, headers=tenant.headers())
    assert_problem(response, 422, "event_types")


def test_rotation_keeps_two_secrets_until_the_previous_is_retired(client, tenant):
    created = client.post(BASE, json=BODY, headers=tenant.headers()).json()
    one = f"{BASE}/{created['subscription_id']}"
    rotated = client.post(f"{one}/rotate-secret", headers=tenant.headers())
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["rotating"] and rotated.json()["secret"] != created["secret"]
    assert_problem(client.post(f"{one}/rotate-secret", headers=tenant.headers()), 422, "secret")
    retired = client.post(f"{one}/retire-previous-secret", headers=tenant.headers())
    assert retired.status_code == 200 and not retired.json()["rotating"]
    again = client.post(f"{one}/retire-previous-secret", headers=tenant.headers())
    assert_problem(again, 422, "secret")


def test_disable_enable_and_change(client, tenant):
    created = client.post(BASE, json=BODY, headers=tenant.headers()).json()
    one = f"{BASE}/{created['subscription_id']}"
    disabled = client.post(
        f"{one}/disable", json={"reason": "maintenance"}, headers=tenant.headers()
    )
    assert (
        disabled.json()["active"] is False and disabled.json()["disabled_reason"] == "maintenance"
    )
    enabled = client.post(f"{one}/enable", headers=tenant.headers()).json()
    assert enabled["active"] and enabled["disabled_reason"] is None
    changed = client.patch(
        one, json={"event_types": ["payout.paid", "invoice.issued"]}, headers=tenant.headers()
    )
    assert changed.json()["event_types"] == ["invoice.issued", "payout.paid"]
    assert changed.json()["version"] == created["version"] + 3


def test_only_admins_of_the_reseller_reach_its_subscriptions(
    client, tenant, other_tenant, isp_headers
):
    created = client.post(BASE, json=BODY, headers=tenant.headers()).json()
    one = f"{BASE}/{created['subscription_id']}"
    assert client.get(one, headers=other_tenant.headers()).status_code == 404
    assert client.get(one, headers=tenant.headers(Role.MANAGER)).status_code == 403
    assert client.post(BASE, json=BODY, headers=tenant.headers(Role.MANAGER)).status_code == 403
    isp_own = client.post(BASE, json=BODY, headers=isp_headers).json()
    assert isp_own["reseller_id"] is None
    isp_one = f"{BASE}/{isp_own['subscription_id']}"
    assert client.get(isp_one, headers=tenant.headers()).status_code == 404
    assert client.get(isp_one, headers=isp_headers).status_code == 200


def test_the_list_is_the_resellers_own(client, tenant, other_tenant, store_feed):
    created = client.post(BASE, json=BODY, headers=tenant.headers())
    params: dict[str, Any] = {"wait_for_position": created.headers["Ledger-Position"]}
    listed = client.get(BASE, params=params, headers=tenant.headers()).json()
    assert created.json()["subscription_id"] in [s["subscription_id"] for s in listed]
    assert all("secret" not in s and s["reseller_id"] == tenant.number for s in listed)
    others = client.get(BASE, headers=other_tenant.headers()).json()
    assert created.json()["subscription_id"] not in [s["subscription_id"] for s in others]
    types = client.get("/reseller/api/webhooks/event-types", headers=tenant.headers(Role.READONLY))
    assert "invoice.issued" in types.json()["event_types"]


def test_secret_bearing_writes_refuse_an_idempotency_key_and_do_not_advertise_one(
    client, tenant, store
):
    head = store.recorder.max_notification_id()
    keyed = tenant.headers(**{"Idempotency-Key": "k-webhook"})
    assert_problem(client.post(BASE, json=BODY, headers=keyed), 422, "Idempotency-Key")
    assert store.recorder.max_notification_id() == head
    paths = client.app.openapi()["paths"]
    for path in (BASE, BASE + "/{subscription_id}/rotate-secret"):
        names = [p["name"] for p in paths[path]["post"].get("parameters", [])]
        assert "Idempotency-Key" not in names, path
    replay = paths[BASE + "/{subscription_id}/replay"]["post"]["parameters"]
    assert "Idempotency-Key" in [p["name"] for p in replay]


def test_redelivering_what_the_subscription_does_not_have_is_not_found(client, tenant):
    created = client.post(BASE, json=BODY, headers=tenant.headers()).json()
    url = f"{BASE}/{created['subscription_id']}/deliveries/1/redeliver"
    assert_problem(client.post(url, headers=tenant.headers()), 404)
    replay = client.post(
        f"{BASE}/{created['subscription_id']}/replay",
        json={"after_position": 0},
        headers=tenant.headers(),
    )
    assert replay.status_code == 202 and replay.json()["replay_after"] == 0
