"""The notification centre (seed §2.3): credit warnings, suspensions and activations reach the
reseller's centre from events; unread counts per user; read marks; channel preferences."""

from __future__ import annotations

import time

from domain.access.roles import Role
from tests.api.helpers import seed_customer


def wait_for(client, headers, predicate, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get("/reseller/api/notifications", headers=headers).json()
        if predicate(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_credit_warning_reaches_the_centre_once_and_is_marked_read(
    client, tenant, other_tenant, isp_headers
):
    response = client.post(
        f"/reseller/api/resellers/{tenant.number}/credit-account/charges",
        headers=isp_headers,
        json={"amount": "850.00", "currency": "USD", "description": "wholesale"},
    )
    assert response.status_code == 200, response.text
    admin = tenant.headers(Role.ADMIN)
    body = wait_for(client, admin, lambda b: any(i["type"] == "credit_warning" for i in b["items"]))
    warnings = [i for i in body["items"] if i["type"] == "credit_warning"]
    assert len(warnings) == 1 and "80%" in warnings[0]["title"], body
    assert body["unread"] == len(body["items"]) and not warnings[0]["read"]
    # another tenant sees nothing of it
    theirs = client.get("/reseller/api/notifications", headers=other_tenant.headers()).json()
    assert all(i["id"] != warnings[0]["id"] for i in theirs["items"])
    marked = client.put(
        f"/reseller/api/notifications/{warnings[0]['id']}/read", headers=other_tenant.headers()
    )
    assert marked.status_code == 404
    # read marks are per user: the manager still has it unread after the admin reads it
    manager_before = client.get(
        "/reseller/api/notifications/unread-count", headers=tenant.headers(Role.MANAGER)
    ).json()["unread"]
    marked = client.put(f"/reseller/api/notifications/{warnings[0]['id']}/read", headers=admin)
    assert marked.status_code == 200 and marked.json()["unread"] == body["unread"] - 1
    again = client.put(f"/reseller/api/notifications/{warnings[0]['id']}/read", headers=admin)
    assert again.json()["unread"] == body["unread"] - 1
    manager_after = client.get(
        "/reseller/api/notifications/unread-count", headers=tenant.headers(Role.MANAGER)
    ).json()["unread"]
    assert manager_after == manager_before
    unread = client.get(
        "/reseller/api/notifications", params={"unread_only": "true"}, headers=admin
    ).json()
    assert all(i["id"] != warnings[0]["id"] for i in unread["items"])


def test_new_customer_and_suspension_notify(client, tenant):
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    )
    assert created.status_code in (200, 201), created.text
    body = wait_for(
        client,
        tenant.headers(),
        lambda b: any(i["type"] == "activation_attention" for i in b["items"]),
    )
    assert any(i["type"] == "activation_attention" for i in body["items"]), body


def test_preferences_per_type_and_channel(client, tenant):
    headers = tenant.headers()
    defaults = client.get("/reseller/api/notification-preferences", headers=headers).json()
    by_type = {p["type"]: p["channels"] for p in defaults["preferences"]}
    assert by_type["credit_warning"] == ["email", "in_app"]
    changed = client.put(
        "/reseller/api/notification-preferences",
        headers=headers,
        json={
            "preferences": [
                {"type": "credit_warning", "channel": "sms", "enabled": True},
                {"type": "credit_warning", "channel": "email", "enabled": False},
            ]
        },
    )
    assert changed.status_code == 200, changed.text
    by_type = {p["type"]: p["channels"] for p in changed.json()["preferences"]}
    assert by_type["credit_warning"] == ["in_app", "sms"]
    # another user of the same reseller keeps the defaults
    theirs = client.get(
        "/reseller/api/notification-preferences", headers=tenant.headers(Role.MANAGER)
    ).json()
    assert {p["type"]: p["channels"] for p in theirs["preferences"]}["credit_warning"] == [
        "email",
        "in_app",
    ]
    bad = client.put(
        "/reseller/api/notification-preferences",
        headers=headers,
        json={"preferences": [{"type": "credit_warning", "channel": "fax", "enabled": True}]},
    )
    assert bad.status_code == 422 and "channel" in bad.text


def test_isp_broadcasts_reach_all_or_some(client, tenant, other_tenant, isp_headers):
    to_some = client.post(
        "/reseller/api/broadcasts",
        headers={**isp_headers, "Idempotency-Key": f"b-{tenant.number}"},
        json={
            "kind": "policy_update",
            "title": f"Policy for {tenant.number}",
            "body": "New terms apply.",
            "reseller_ids": [tenant.number],
        },
    )
    assert to_some.status_code == 201, to_some.text
    to_all = client.post(
        "/reseller/api/broadcasts",
        headers=isp_headers,
        json={"kind": "system_maintenance", "title": f"Maintenance {tenant.number}", "body": "."},
    )
    assert to_all.status_code == 201, to_all.text
    titles = {f"Policy for {tenant.number}", f"Maintenance {tenant.number}"}
    mine = wait_for(client, tenant.headers(), lambda b: titles <= {i["title"] for i in b["items"]})
    assert titles <= {i["title"] for i in mine["items"]}
    theirs = wait_for(
        client,
        other_tenant.headers(),
        lambda b: f"Maintenance {tenant.number}" in {i["title"] for i in b["items"]},
    )
    assert {i["title"] for i in theirs["items"]} & titles == {f"Maintenance {tenant.number}"}
    refused = client.post(
        "/reseller/api/broadcasts",
        headers=tenant.headers(),
        json={"kind": "policy_update", "title": "x", "body": "y"},
    )
    assert refused.status_code == 403
