"""The audit trail: every event of a run of commands appears exactly once, with who, for which
reseller, from where and under which request; secrets and personal data are withheld; the
filters, paging and exports work; only the master ISP's admins and finance auditors read it."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from projections.audit.trail import AuditProjector
from projections.envelope import read_envelopes
from replays.diff import diff_schemas
from replays.rebuild import drop_schema, rebuild
from tests.api.auth_helpers import PASSWORD
from tests.api.helpers import position, seed_customer

AUDIT = "/reseller/api/audit/events"
EXPORT = "/reseller/api/audit/export"


@pytest.fixture(scope="module")
def auditor_headers(client, isp_headers) -> dict[str, str]:
    """A finance auditor's token, issued by an ISP admin (the only way to get one)."""
    issued = client.post(
        "/reseller/api/tokens",
        headers=isp_headers,
        json={"label": "external auditor", "role": "finance_auditor"},
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["reseller_id"] is None
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def _send(client, method: str, url: str, headers: dict[str, str], rid: str, **kw: Any) -> Any:
    response = client.request(method, url, headers={**headers, "X-Request-ID": rid}, **kw)
    assert 200 <= response.status_code < 300, response.text
    return response


def _all(client, headers, **params: Any) -> list[dict[str, Any]]:
    """Every matching record, following the pages."""
    records: list[dict[str, Any]] = []
    after = 0
    for _ in range(1000):
        page = client.get(AUDIT, headers=headers, params={**params, "after": after, "limit": 100})
        assert page.status_code == 200, page.text
        body = page.json()
        records += body["items"]
        if body["next_after"] is None:
            return records
        after = body["next_after"]
    raise AssertionError("too many pages")


@pytest.fixture
def activity(client, store, tenant, isp_headers) -> dict[str, Any]:
    """A run of commands through the API, each under its own request id."""
    run = uuid.uuid4().hex[:8]
    start = store.recorder.max_notification_id() or 0
    admin = tenant.headers()
    steps = ("customer", "status", "charge", "payment", "user", "profile", "policy1", "policy2")
    rids = {name: f"audit-{run}-{name}" for name in steps}
    customer = _send(
        client, "POST", "/reseller/api/customers", admin, rids["customer"],
        json=seed_customer(tenant.number, email=f"{run}@example.com"),
    ).json()  # fmt: skip
    _send(
        client, "POST", f"/reseller/api/customers/{customer['customer_id']}/status", admin,
        rids["status"], json={"status": "active"},
    )  # fmt: skip
    credit = f"/reseller/api/resellers/{tenant.number}/credit-account"
    _send(client, "POST", f"{credit}/charges", isp_headers, rids["charge"],
          json={"amount": "120.00", "currency": "USD", "description": "wholesale"})  # fmt: skip
    _send(client, "POST", f"{credit}/payments", admin, rids["payment"],
          json={"amount": "20.00", "currency": "USD", "method": "bank_transfer"})  # fmt: skip
    user = _send(
        client, "POST", "/reseller/api/users", admin, rids["user"],
        json={"username": f"a.{run}", "email": f"member.{run}@example.com", "role": "user",
              "password": PASSWORD, "first_name": "Ada"},
    ).json()  # fmt: skip
    _send(client, "PATCH", f"/reseller/api/users/{user['user_id']}", admin, rids["profile"],
          json={"department": "Billing", "email": f"changed.{run}@example.com"})  # fmt: skip
    _send(client, "PATCH", f"{credit}/policy", admin, rids["policy1"], json={"warning_pct": "70"})
    last = _send(
        client, "PATCH", f"{credit}/policy", admin, rids["policy2"], json={"warning_pct": "75"}
    )
    return {
        "run": run,
        "start": start,
        "end": position(last),
        "rids": rids,
        "customer": customer,
        "user": user,
        "tenant": tenant,
    }


def _events_between(store, start: int, end: int) -> list[Any]:
    envelopes, cursor = [], start
    while cursor < end and (batch := read_envelopes(store, cursor, 1000)):
        envelopes += [e for e in batch if e.position <= end]
        cursor = batch[-1].position
    return envelopes


def test_every_event_appears_once_with_its_actor(client, store, activity, auditor_headers):
    reached = client.get(
        AUDIT, headers=auditor_headers, params={"wait_for_position": activity["end"], "limit": 1}
    )
    assert reached.json()["position_reached"] is True
    ours = [
        e
        for e in _events_between(store, activity["start"], activity["end"])
        if e.actor.get("request_id") in activity["rids"].values()
    ]
    assert len(ours) >= 10  # customer and reseller counter, charge, payment, user events, ...
    records = {
        r["position"]: r
        for rid in activity["rids"].values()
        for r in _all(client, auditor_headers, request_id=rid)
    }
    assert sorted(records) == [e.position for e in ours]  # each event exactly once
    for envelope in ours:
        record = records[envelope.position]
        assert record["event_type"] == envelope.event_type
        assert record["aggregate_id"] == envelope.aggregate_id
        assert record["aggregate_version"] == envelope.version
        assert record["reseller_id"] == envelope.owner
        actor = record["actor"]
        assert actor["subject"] == envelope.actor["user"] and actor["subject"]
        assert actor["role"] == envelope.actor["role"] in ("admin", "isp_admin")
        assert actor["realm"] == ("isp" if actor["role"] == "isp_admin" else "reseller")
        assert actor["ip"] == "testclient"  # the TestClient's address
        assert actor["request_id"] == envelope.actor["request_id"]
    by_rid = {rid: [r for r in records.values() if r["actor"]["request_id"] == rid]
              for rid in activity["rids"].values()}  # fmt: skip
    assert all(by_rid.values()), "every request left records"
    assert {r["actor"]["reseller_id"] for r in by_rid[activity["rids"]["payment"]]} == {
        activity["tenant"].number
    }


def test_secrets_and_personal_data_are_withheld(client, activity, auditor_headers):
    client.get(AUDIT, headers=auditor_headers, params={"wait_for_position": activity["end"]})
    records = [
        r
        for rid in activity["rids"].values()
        for r in _all(client, auditor_headers, request_id=rid)
    ]
    text = json.dumps(records)
    assert activity["run"] + "@example.com" not in text
    assert f"member.{activity['run']}" not in text and f"changed.{activity['run']}" not in text
    assert "$argon2" not in text and "Ada" not in text
    registered = next(r for r in records if r["event_type"] == "Customer.Registered")
    assert registered["withheld"]["email"] == "personal"
    assert registered["withheld"]["first_name"] == "personal"
    assert registered["data"]["portal_id"] == activity["customer"]["portal_id"]
    password = next(r for r in records if r["event_type"] == "ResellerUser.PasswordSet")
    assert password["withheld"] == {"password_hash": "secret"}
    assert "password_hash" not in password["data"]
    profile = next(r for r in records if r["event_type"] == "ResellerUser.ProfileChanged")
    assert profile["withheld"] == {"changes.email": "personal"}
    assert profile["after"]["department"] == "Billing"
    assert "department" in profile["before"] and "email" not in profile["after"]


def test_before_and_after_values(client, activity, auditor_headers):
    client.get(AUDIT, headers=auditor_headers, params={"wait_for_position": activity["end"]})
    rids = activity["rids"]
    status = _all(client, auditor_headers, request_id=rids["status"],
                  event_type="Customer.StatusChanged")  # fmt: skip
    assert [(r["before"], r["after"]) for r in status] == [
        ({"status": "new"}, {"status": "active"})
    ]
    first = _all(client, auditor_headers, request_id=rids["policy1"],
                 event_type="CreditAccount.PolicyChanged")[0]  # fmt: skip
    second = _all(client, auditor_headers, request_id=rids["policy2"],
                  event_type="CreditAccount.PolicyChanged")[0]  # fmt: skip
    assert "warning_pct" not in first["before"]  # the default was never recorded in an event
    assert second["before"]["warning_pct"] == first["after"]["warning_pct"]
    assert second["after"]["warning_pct"] != first["after"]["warning_pct"]
    charge = _all(client, auditor_headers, request_id=rids["charge"],
                  event_type="CreditAccount.ChargeRecorded")[0]  # fmt: skip
    assert charge["before"] is None and charge["after"] is None  # a new fact overwrites nothing
    assert charge["data"]["amount"] == {"amount": "120.00", "currency": "USD"}


def test_filters_and_paging(client, activity, auditor_headers):
    client.get(AUDIT, headers=auditor_headers, params={"wait_for_position": activity["end"]})
    number = activity["tenant"].number
    window = {"reseller_id": number}
    everything = _all(client, auditor_headers, **window)
    assert everything and all(r["reseller_id"] == number for r in everything)
    positions = [r["position"] for r in everything]
    assert positions == sorted(set(positions))
    paged = client.get(AUDIT, headers=auditor_headers, params={**window, "limit": 2}).json()
    assert [r["position"] for r in paged["items"]] == positions[:2]
    assert paged["next_after"] == positions[1]
    admin_subject = next(r["actor"]["subject"] for r in everything if r["actor"]["role"] == "admin")
    by_actor = _all(client, auditor_headers, actor=admin_subject, **window)
    assert by_actor and {r["actor"]["subject"] for r in by_actor} == {admin_subject}
    assert len(by_actor) < len(everything)  # the ISP's charge was someone else
    customer_id = activity["customer"]["customer_id"]
    aggregate = _all(client, auditor_headers, aggregate_id=customer_id)
    assert [r["event_type"] for r in aggregate][:2] == [
        "Customer.Registered", "Customer.StatusChanged"
    ]  # fmt: skip
    typed = _all(client, auditor_headers, aggregate_type="CreditAccount", **window)
    assert typed and {r["aggregate_type"] for r in typed} == {"CreditAccount"}
    kind = _all(client, auditor_headers, event_type="CreditAccount.PolicyChanged", **window)
    assert len(kind) == 2
    stamps = [datetime.fromisoformat(r["recorded_at"]) for r in everything]
    middle = stamps[len(stamps) // 2]
    later = _all(client, auditor_headers, since=middle.isoformat(), **window)
    earlier = _all(client, auditor_headers, until=middle.isoformat(), **window)
    assert len(later) + len(earlier) == len(everything)
    assert all(datetime.fromisoformat(r["recorded_at"]) >= middle for r in later)
    past = (datetime.now(UTC) - timedelta(days=3650)).isoformat()
    assert _all(client, auditor_headers, until=past, **window) == []
    naive = client.get(AUDIT, headers=auditor_headers, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


def test_csv_and_json_lines_exports(client, activity, auditor_headers):
    params = {"reseller_id": activity["tenant"].number, "wait_for_position": activity["end"]}
    client.get(AUDIT, headers=auditor_headers, params={"wait_for_position": activity["end"]})
    expected = _all(client, auditor_headers, reseller_id=params["reseller_id"])
    exported = client.get(EXPORT, headers=auditor_headers, params={**params, "format": "csv"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["position"]) for r in rows] == [r["position"] for r in expected]
    for row, record in zip(rows, expected, strict=True):
        assert row["event_type"] == record["event_type"]
        assert row["actor"] == (record["actor"]["subject"] or "")
        assert row["ip"] == (record["actor"]["ip"] or "")
        assert row["request_id"] == record["actor"]["request_id"]
        assert row["actor_role"] == record["actor"]["role"]
        assert json.loads(row["data"]) == record["data"]
        assert json.loads(row["withheld"]) == record["withheld"]
    assert {r["ip"] for r in rows} >= {"testclient"}
    lines = client.get(EXPORT, headers=auditor_headers, params={**params, "format": "jsonl"})
    assert lines.status_code == 200
    assert [json.loads(line) for line in lines.text.splitlines()] == expected


def test_only_the_isp_realm_reads_the_trail(client, tenant, isp_headers, auditor_headers):
    for headers in (tenant.headers(), tenant.headers(tenant_role("manager"))):
        for url in (AUDIT, EXPORT):
            own = client.get(url, headers=headers, params={"reseller_id": tenant.number})
            assert own.status_code == 403, own.text
    for headers in (isp_headers, auditor_headers):
        assert client.get(AUDIT, headers=headers).status_code == 200
        assert client.get(EXPORT, headers=headers, params={"since": "2099-01-01T00:00:00Z"}).text


def tenant_role(name: str) -> Any:
    from domain.access.roles import Role

    return Role(name)


def test_finance_auditor_reads_money_but_writes_nothing(client, tenant, auditor_headers):
    credit = client.get(
        "/reseller/api/credit-account",
        headers=auditor_headers,
        params={"reseller_id": tenant.number},
    )
    assert credit.status_code == 200, credit.text
    trial = client.get(
        "/reseller/api/ledger/trial-balance",
        headers=auditor_headers,
        params={"reseller_id": tenant.number},
    )
    assert trial.status_code == 200
    refused = [
        client.post(
            "/reseller/api/customers",
            headers=auditor_headers,
            json=seed_customer(tenant.number),
        ),
        client.post(
            f"/reseller/api/resellers/{tenant.number}/credit-account/payments",
            headers=auditor_headers,
            json={"amount": "1.00", "currency": "USD", "method": "cash"},
        ),
        client.post(
            "/reseller/api/tokens",
            headers=auditor_headers,
            json={"label": "x", "role": "finance_auditor"},
        ),
        client.get(
            "/reseller/api/customers",
            headers=auditor_headers,
            params={"reseller_id": tenant.number},
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    # A reseller admin cannot mint one either.
    minted = client.post(
        "/reseller/api/tokens",
        headers=tenant.headers(),
        json={"label": "x", "role": "finance_auditor"},
    )
    assert minted.status_code == 403, minted.text


def test_audit_projection_equals_its_rebuild(
    client, database_url, store, activity, auditor_headers
):
    client.get(AUDIT, headers=auditor_headers, params={"wait_for_position": activity["end"]})
    shadow = f"proj_audit__t{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = store.recorder.max_notification_id()
        client.get(AUDIT, headers=auditor_headers, params={"wait_for_position": head})
        rebuild(store, conn, AuditProjector, 500, target_schema=shadow)
        try:
            # Compare the part both hold: the live feed may have moved on meanwhile.
            diffs = diff_schemas(conn, AuditProjector, AuditProjector.live_schema(), shadow)
        finally:
            drop_schema(conn, shadow)
    for table in diffs:
        assert table.equal, table
    assert diffs[0].left_rows > 0
