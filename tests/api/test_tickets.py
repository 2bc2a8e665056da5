"""The support desk through the API (issue 15): the seed's path and vocabulary, the whole
lifecycle with escalation to the master ISP, tenant isolation, the customer's view without
internal notes, attachments that hash back, and bad input."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest

from domain.access.roles import Role
from tests.api.helpers import assert_problem, position, seed_customer
from tests.support.builders import new_reseller

BASE = "/reseller/api/tickets"
SEED_STATUSES = [
    "new",
    "assigned",
    "in_progress",
    "pending_customer",
    "escalated",
    "resolved",
    "closed",
]
SEED_PRIORITIES = ["emergency", "urgent", "high", "medium", "low"]


@pytest.fixture
def desk(store):
    return new_reseller(store, roles=(Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY))


def customer_of(client, headers, number):
    response = client.post("/reseller/api/customers", headers=headers, json=seed_customer(number))
    assert response.status_code == 201, response.text
    return response.json()


def open_ticket(client, headers, **fields):
    body = {
        "subject": "No internet since this morning",
        "description": "The router's DSL light blinks.",
        "category": "technical",
        "priority": "high",
        **fields,
    }
    response = client.post(BASE, headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_post_reseller_api_tickets_creates_a_ticket_by_portal_id(client, desk):
    created = client.post(
        "/reseller/api/customers", headers=desk.headers(), json=seed_customer(desk.number)
    )
    customer = created.json()
    # The Portal ID is found through the customers read model: let it catch up first.
    client.get(
        "/reseller/api/customers",
        headers=desk.headers(),
        params={"wait_for_position": position(created)},
    )
    ticket = open_ticket(client, desk.headers(), portal_id=customer["portal_id"])
    assert ticket["status"] == "new"
    assert ticket["priority"] == "high"
    assert ticket["customer_id"] == customer["customer_id"]
    assert ticket["portal_id"] == customer["portal_id"]
    assert ticket["number"] == f"T{desk.number}-000001"
    fetched = client.get(f"{BASE}/{ticket['ticket_id']}", headers=desk.headers())
    assert fetched.status_code == 200
    assert fetched.json() == ticket


def test_openapi_vocabularies_are_exactly_the_seeds(client):
    schemas = client.app.openapi()["components"]["schemas"]
    ticket = schemas["TicketOut"]["properties"]
    assert ticket["status"]["enum"] == SEED_STATUSES
    assert ticket["priority"]["enum"] == SEED_PRIORITIES
    opened = schemas["OpenTicket"]["properties"]["priority"]
    assert opened["enum"] == SEED_PRIORITIES
    listed = client.app.openapi()["paths"][BASE]["get"]["parameters"]
    status = next(p for p in listed if p["name"] == "status")
    enum = next(s["enum"] for s in status["schema"]["anyOf"] if "enum" in s)
    assert enum == SEED_STATUSES


def test_internal_ticket_and_bad_input(client, desk):
    internal = open_ticket(client, desk.headers(), source="internal", category="service_request")
    assert internal["customer_id"] is None and internal["status"] == "new"
    bad = client.post(
        BASE,
        headers=desk.headers(),
        json={"subject": "x", "description": "y", "category": "technical", "priority": "p1"},
    )
    assert_problem(bad, 422, "priority")
    unknown = client.post(
        BASE,
        headers=desk.headers(),
        json={"subject": "x", "description": "y", "category": "gardening", "source": "internal"},
    )
    assert_problem(unknown, 422, "category")
    no_customer = client.post(
        BASE,
        headers=desk.headers(),
        json={"subject": "x", "description": "y", "category": "technical"},
    )
    assert_problem(no_customer, 422, "portal_id")
    missing = client.post(
        BASE,
        headers=desk.headers(),
        json={"subject": "x", "description": "y", "category": "technical", "portal_id": "NOPE-1"},
    )
    assert_problem(missing, 404, "portal_id")
    readonly = client.post(
        BASE,
        headers=desk.headers(Role.READONLY),
        json={"subject": "x", "description": "y", "category": "technical", "source": "internal"},
    )
    assert_problem(readonly, 403)


def test_whole_lifecycle_with_escalation_to_the_master_isp(client, desk, store, isp_headers):
    other = new_reseller(store, roles=(Role.ADMIN,))
    customer = customer_of(client, desk.headers(), desk.number)
    ticket = open_ticket(client, desk.headers(), customer_id=customer["customer_id"])
    tid = ticket["ticket_id"]
    url = f"{BASE}/{tid}"
    me = client.get("/reseller/api/users", headers=desk.headers()).json()
    del me  # the assignee is any team member; the token principal is not a user

    # Conversation: an internal note and a public reply with an attachment.
    note = client.post(
        f"{url}/messages",
        headers=desk.headers(Role.USER),
        json={"body": "Line test shows noise on the copper pair", "visibility": "internal"},
    )
    assert note.status_code == 201, note.text
    content = b"line-test: SNR 3dB"
    reply = client.post(
        f"{url}/messages",
        headers=desk.headers(Role.USER),
        json={
            "body": "We are looking into it.",
            "attachments": [
                {
                    "filename": "line-test.txt",
                    "content_type": "text/plain",
                    "content_base64": base64.b64encode(content).decode(),
                }
            ],
        },
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["first_response_at"] is not None
    (attachment,) = body["messages"][-1]["attachments"]
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
    downloaded = client.get(
        f"{url}/attachments/{attachment['attachment_id']}", headers=desk.headers()
    )
    assert downloaded.content == content
    assert downloaded.headers["X-Content-SHA256"] == attachment["sha256"]

    # Work, wait for the customer, the customer replies (back to in progress).
    assert (
        client.post(f"{url}/status", headers=desk.headers(), json={"status": "in_progress"}).json()[
            "status"
        ]
        == "in_progress"
    )
    waiting = client.post(
        f"{url}/status", headers=desk.headers(), json={"status": "pending_customer"}
    ).json()
    assert waiting["status"] == "pending_customer" and waiting["sla"]["paused"] is True
    answered = client.post(
        f"{url}/messages",
        headers=desk.headers(),
        json={"body": "Still down after the reboot.", "from_customer": True},
    ).json()
    assert answered["status"] == "in_progress" and answered["sla"]["paused"] is False

    # Escalation 1 -> 2 -> 3; the reseller may not take it to emergency.
    for level in ("level_2", "level_3"):
        up = client.post(f"{url}/escalate", headers=desk.headers(), json={"reason": "needs more"})
        assert up.status_code == 200, up.text
        assert up.json()["level"] == level and up.json()["status"] == "escalated"
    assert up.json()["in_isp_queue"] is True
    assert_problem(
        client.post(f"{url}/escalate", headers=desk.headers(), json={"reason": "fire"}),
        422,
        "level",
    )

    # The ISP realm sees it in its queue, with its history, and answers it.
    last = position(up)
    queue = client.get(
        "/reseller/api/support/queue",
        headers=isp_headers,
        params={"wait_for_position": last, "reseller_id": desk.number},
    )
    assert queue.status_code == 200, queue.text
    assert [t["ticket_id"] for t in queue.json()["items"]] == [tid]
    history = client.get(
        f"{url}/history", headers=isp_headers, params={"wait_for_position": last}
    ).json()
    escalations = [h for h in history if h["event"] == "Escalated"]
    assert [h["details"]["to_level"] for h in escalations] == ["level_2", "level_3"]
    assert all(h["actor"] and h["realm"] == "reseller" for h in escalations)
    isp_reply = client.post(
        f"{url}/messages",
        headers=isp_headers,
        json={"body": "ISP: the exchange card was replaced."},
    )
    assert isp_reply.status_code == 201, isp_reply.text
    emergency = client.post(f"{url}/escalate", headers=isp_headers, json={"reason": "outage"})
    assert emergency.json()["level"] == "emergency"
    resolved = client.post(
        f"{url}/resolve", headers=isp_headers, json={"resolution": "Card replaced"}
    )
    assert resolved.json()["status"] == "resolved"

    # The reseller sees what the ISP did.
    seen = client.get(url, headers=desk.headers()).json()
    assert [m["author_kind"] for m in seen["messages"]][-1] == "isp"
    assert seen["status"] == "resolved"
    history = client.get(
        f"{url}/history", headers=desk.headers(), params={"wait_for_position": position(resolved)}
    ).json()
    isp_steps = [h for h in history if h["realm"] == "isp"]
    assert {h["event"] for h in isp_steps} == {"MessageAdded", "Escalated", "Resolved"}

    # The customer's view never shows internal notes nor the tiers.
    customer_view = client.get(f"{url}/customer-view", headers=desk.headers()).json()
    assert all(m["visibility"] == "public" for m in customer_view["messages"])
    assert "Line test shows noise" not in str(customer_view)
    assert "level" not in customer_view and "assignee_user_id" not in customer_view
    assert len(customer_view["messages"]) == len(seen["messages"]) - 1

    # Reopen within the window, resolve again, confirm with a score: closed is final.
    reopened = client.post(f"{url}/reopen", headers=desk.headers(), json={"reason": "again"})
    assert reopened.json()["status"] == "in_progress"
    client.post(f"{url}/resolve", headers=desk.headers(), json={"resolution": "Fixed"})
    closed = client.post(f"{url}/confirm", headers=desk.headers(), json={"satisfaction": 5})
    assert closed.json()["status"] == "closed" and closed.json()["satisfaction"] == 5
    for path, payload in (
        ("reopen", {"reason": "x"}),
        ("messages", {"body": "x"}),
        ("status", {"status": "in_progress"}),
    ):
        assert_problem(
            client.post(f"{url}/{path}", headers=desk.headers(), json=payload), 422, "status"
        )

    # Another reseller never sees it: not in its list, not by id, not its history.
    assert client.get(url, headers=other.headers()).status_code == 404
    assert client.get(f"{url}/history", headers=other.headers()).status_code == 404
    assert client.get(f"{url}/customer-view", headers=other.headers()).status_code == 404
    listed = client.get(
        BASE, headers=other.headers(), params={"wait_for_position": position(closed)}
    ).json()
    assert listed["items"] == [] and listed["total"] == 0
    mine = client.get(
        BASE, headers=desk.headers(), params={"wait_for_position": position(closed)}
    ).json()
    assert tid in [t["ticket_id"] for t in mine["items"]]
    assert_problem(
        client.post(f"{url}/messages", headers=other.headers(), json={"body": "hi"}), 404
    )
    # A reseller may not read the ISP's queue at all.
    assert_problem(client.get("/reseller/api/support/queue", headers=desk.headers()), 403)


def test_routing_rules_assign_on_creation(client, desk, store):
    from tests.support.builders import new_user

    member = new_user(store, desk.number, f"agent.{uuid.uuid4().hex[:6]}", role="user")
    settings = client.put(
        "/reseller/api/support/settings",
        headers=desk.headers(),
        json={
            "routing_rules": [
                {"category": "billing_inquiry", "queue": "billing"},
                {"priority": "emergency", "assignee_user_id": member},
            ]
        },
    )
    assert settings.status_code == 200, settings.text
    billing = open_ticket(client, desk.headers(), source="internal", category="billing_inquiry")
    assert billing["status"] == "assigned" and billing["queue"] == "billing"
    urgent = open_ticket(client, desk.headers(), source="internal", priority="emergency")
    assert urgent["assignee_user_id"] == member and urgent["status"] == "assigned"
    plain = open_ticket(client, desk.headers(), source="internal", priority="low")
    assert plain["status"] == "new" and plain["assignee_user_id"] is None
    manual = client.post(
        f"{BASE}/{plain['ticket_id']}/assign",
        headers=desk.headers(),
        json={"assignee_user_id": member},
    )
    assert manual.json()["status"] == "assigned" and manual.json()["assignee_user_id"] == member
    foreign_user = new_user(
        store, new_reseller(store).number, f"x.{uuid.uuid4().hex[:6]}", role="user"
    )
    refused = client.post(
        f"{BASE}/{plain['ticket_id']}/assign",
        headers=desk.headers(),
        json={"assignee_user_id": foreign_user},
    )
    assert_problem(refused, 404, "assignee_user_id")
    bad_rule = client.put(
        "/reseller/api/support/settings",
        headers=desk.headers(),
        json={"routing_rules": [{"category": "technical"}]},
    )
    assert_problem(bad_rule, 422, "routing_rules.0")


def test_idempotent_ticket_creation(client, desk):
    headers = desk.headers(**{"Idempotency-Key": f"t-{uuid.uuid4()}"})
    body = {"subject": "s", "description": "d", "category": "technical", "source": "internal"}
    first = client.post(BASE, headers=headers, json=body)
    again = client.post(BASE, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == again.json()
    other = client.post(BASE, headers=headers, json={**body, "subject": "other"})
    assert_problem(other, 422, "Idempotency-Key")


def test_dashboard_support_block_counts_open_tickets(client, desk):
    open_ticket(client, desk.headers(), source="internal", priority="urgent")
    second = client.post(
        BASE,
        headers=desk.headers(),
        json={"subject": "s", "description": "d", "category": "technical", "source": "internal"},
    )
    board = client.get(
        "/reseller/api/dashboard",
        headers=desk.headers(),
        params={"wait_for_position": position(second)},
    )
    assert board.status_code == 200, board.text
    support = board.json()["support"]
    assert support["tracked"] is True
    assert support["open_tickets"] == 2
    assert support["open_by_priority"] == {"urgent": 1, "medium": 1}
    assert support["open_sla_breached"] == 0


def test_a_customers_ticket_texts_are_their_personal_data(
    client, desk, store, isp_headers, database_url
):
    import psycopg

    canary = f"canary-{uuid.uuid4().hex}"
    customer = customer_of(client, desk.headers(), desk.number)
    ticket = open_ticket(
        client,
        desk.headers(),
        customer_id=customer["customer_id"],
        subject=f"Subject {canary}",
        description=f"Description {canary}",
    )
    url = f"{BASE}/{ticket['ticket_id']}"
    said = client.post(
        f"{url}/messages", headers=desk.headers(), json={"body": canary, "from_customer": True}
    )
    assert said.status_code == 201
    # Stored encrypted: the plaintext is nowhere in the event store.
    table = store.recorder.events_table_name
    with psycopg.connect(database_url) as conn:
        states = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id = %s", (ticket["ticket_id"],)
        ).fetchall()
    assert states and not any(canary.encode() in bytes(row[0]) for row in states)
    # The audit trail withholds them.
    audit = client.get(
        "/reseller/api/audit/events",
        headers=isp_headers,
        params={"aggregate_id": ticket["ticket_id"], "wait_for_position": position(said)},
    )
    assert audit.status_code == 200, audit.text
    assert audit.json() and canary not in audit.text

    # Erasing the customer erases them on the ticket and in the read model.
    cid = customer["customer_id"]
    closed = client.post(
        f"/reseller/api/customers/{cid}/status",
        headers=desk.headers(),
        json={"status": "inactive", "reason": "left"},
    )
    assert closed.status_code == 200, closed.text
    erased = client.post(f"/reseller/api/customers/{cid}/erase", headers=isp_headers, json={})
    assert erased.status_code == 200, erased.text
    shown = client.get(url, headers=desk.headers()).json()
    assert shown["subject"] == shown["description"] == "[erased]"
    assert shown["messages"][-1]["body"] == "[erased]"
    listed = client.get(
        BASE, headers=desk.headers(), params={"wait_for_position": position(erased)}
    ).json()
    assert [t["subject"] for t in listed["items"] if t["ticket_id"] == ticket["ticket_id"]] == [
        "[erased]"
    ]
    log = client.get(
        "/reseller/api/support/communications",
        headers=desk.headers(),
        params={"customer_id": cid, "wait_for_position": position(erased)},
    ).json()
    assert [e["body"] for e in log] == ["[erased]"] and canary not in str(log)


def test_support_report_in_every_format(client, desk):
    import csv
    import io

    first = open_ticket(client, desk.headers(), source="internal", priority="urgent")
    url = f"{BASE}/{first['ticket_id']}"
    client.post(f"{url}/messages", headers=desk.headers(), json={"body": "on it"})
    client.post(f"{url}/status", headers=desk.headers(), json={"status": "in_progress"})
    done = client.post(f"{url}/resolve", headers=desk.headers(), json={"resolution": "ok"})
    open_ticket(client, desk.headers(), source="internal", priority="low")
    today = first["opened_at"][:10]
    params = {
        "date_from": today,
        "date_to": today,
        "wait_for_position": position(done) + 1,
    }
    report = client.get("/reseller/api/support/report", headers=desk.headers(), params=params)
    assert report.status_code == 200, report.text
    rows = {r["priority"]: r for r in report.json()["rows"]}
    assert [r["priority"] for r in report.json()["rows"]] == SEED_PRIORITIES
    assert (rows["urgent"]["opened"], rows["urgent"]["resolved"], rows["urgent"]["open"]) == (
        1,
        1,
        0,
    )
    assert (rows["low"]["opened"], rows["low"]["open"]) == (1, 1)
    assert report.json()["totals"]["opened"] == 2
    as_csv = client.get(
        "/reseller/api/support/report", headers=desk.headers(), params={**params, "format": "csv"}
    )
    table = list(csv.reader(io.StringIO(as_csv.text)))
    assert table[0][0] == "priority" and table[-1][:2] == ["TOTAL", "2"]
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        got = client.get(
            "/reseller/api/support/report", headers=desk.headers(), params={**params, "format": fmt}
        )
        assert got.status_code == 200 and got.content.startswith(magic)
    bad = client.get(
        "/reseller/api/support/report",
        headers=desk.headers(),
        params={"date_from": "2027-02-01", "date_to": "2027-01-01"},
    )
    assert_problem(bad, 422, "date_from")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"calendar": {"timezone": "Mars/Olympus"}}, "calendar.timezone"),
        ({"calendar": {"opens": "18:00", "closes": "09:00"}}, "calendar.closes"),
        ({"calendar": {"workdays": [9]}}, "calendar.workdays"),
        ({"calendar": {"holidays": ["2027-02-30"]}}, "calendar.holidays"),
        (
            {"sla_targets": {"high": {"first_response_minutes": 90, "resolution_minutes": 60}}},
            "sla_targets.high",
        ),
        (
            {"sla_targets": {"p1": {"first_response_minutes": 1, "resolution_minutes": 2}}},
            "sla_targets",
        ),
        ({"reopen_days": 0}, "reopen_days"),
        ({"routing_rules": [{"priority": "emergency", "queue": "x", "extra": 1}]}, "routing_rules"),
    ],
)
def test_bad_desk_settings_name_the_field_and_write_nothing(client, desk, body, field):
    before = client.get("/reseller/api/support/settings", headers=desk.headers()).json()
    response = client.put("/reseller/api/support/settings", headers=desk.headers(), json=body)
    assert_problem(response, 422, field)
    after = client.get("/reseller/api/support/settings", headers=desk.headers()).json()
    assert after == before


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (
            "messages",
            {"body": "x", "attachments": [{"filename": "a.txt", "content_base64": "@@"}]},
            422,
            "attachments.0.content_base64",
        ),
        (
            "messages",
            {
                "body": "x",
                "attachments": [
                    {
                        "filename": "a.txt",
                        "content_base64": base64.b64encode(b"x" * 49_153).decode(),
                    }
                ],
            },
            413,
            None,  # over the test app's body limit first
        ),
        ("messages", {"body": "x", "visibility": "secret"}, 422, "visibility"),
        ("messages", {"body": ""}, 422, "body"),
        ("status", {"status": "closed"}, 422, "status"),
        ("assign", {}, 422, "assignee_user_id"),
        ("assign", {"assignee_user_id": str(uuid.uuid4())}, 404, "assignee_user_id"),
        ("confirm", {"satisfaction": 6}, 422, "satisfaction"),
        ("resolve", {"resolution": "too early"}, 422, "status"),
        ("articles", {"article_id": str(uuid.uuid4())}, 404, "article_id"),
    ],
)
def test_bad_ticket_input_names_the_field_and_writes_nothing(
    client, desk, path, body, status, field
):
    ticket = open_ticket(client, desk.headers(), source="internal")
    url = f"{BASE}/{ticket['ticket_id']}"
    response = client.post(f"{url}/{path}", headers=desk.headers(), json=body)
    assert_problem(response, status, field)
    assert client.get(url, headers=desk.headers()).json()["version"] == ticket["version"]


def test_communication_log_per_customer(client, desk, store):
    customer = customer_of(client, desk.headers(), desk.number)
    cid = customer["customer_id"]
    first = open_ticket(client, desk.headers(), customer_id=cid, source="customer")
    second = open_ticket(client, desk.headers(), customer_id=cid, subject="Invoice question")
    for ticket, body, from_customer, visibility in (
        (first, "It is down", True, "public"),
        (first, "checked the DSLAM", False, "internal"),
        (second, "Your invoice is correct", False, "public"),
        (first, "Fixed on our side", False, "public"),
    ):
        last = client.post(
            f"{BASE}/{ticket['ticket_id']}/messages",
            headers=desk.headers(),
            json={"body": body, "from_customer": from_customer, "visibility": visibility},
        )
        assert last.status_code == 201, last.text
    log = client.get(
        "/reseller/api/support/communications",
        headers=desk.headers(),
        params={"customer_id": cid, "wait_for_position": position(last)},
    )
    assert log.status_code == 200, log.text
    entries = log.json()
    assert [(e["body"], e["direction"]) for e in entries] == [
        ("It is down", "inbound"),
        ("Your invoice is correct", "outbound"),
        ("Fixed on our side", "outbound"),
    ]
    assert {e["ticket_number"] for e in entries} == {first["number"], second["number"]}
    other = new_reseller(store)
    assert_problem(
        client.get(
            "/reseller/api/support/communications",
            headers=other.headers(),
            params={"customer_id": cid},
        ),
        404,
    )
