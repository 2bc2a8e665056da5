"""Support metrics equal what Python computes from the events (issue 15 "Must show" 4).

Hypothesis draws a small desk's worth of tickets (priorities, assignees, replies and
resolutions at chosen minutes, customer waits, SLA sweeps at chosen days); they run through
the real handlers on a controlled clock, the store feed projects them, and the metrics query
must equal an independent computation over the stored events."""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.principal import Principal, RequestContext
from commands.support.tickets import (
    AddMessage,
    Assign,
    ChangeStatus,
    OpenTicket,
    Resolve,
    add_message,
    assign,
    change_status,
    check_sla,
    open_ticket,
    resolve,
)
from domain.access.roles import Role
from projections.base import feed_position
from projections.support.projector import SupportProjector
from projections.support.queries import support_metrics
from tests.support.builders import new_reseller, new_user

OPEN = {"new", "assigned", "in_progress", "pending_customer", "escalated"}
BASE = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
JOBS = Principal(subject="system:jobs", role=Role.ISP_ADMIN, reseller_number=None)

ticket_plan = st.fixed_dictionaries(
    {
        "priority": st.sampled_from(["emergency", "urgent", "high", "medium", "low"]),
        "assignee": st.sampled_from([None, 0, 1]),
        "reply_min": st.one_of(st.none(), st.integers(1, 5_000)),
        "wait": st.booleans(),
        "resolve_min": st.one_of(st.none(), st.integers(1, 20_000)),
        "sweep_days": st.one_of(st.none(), st.integers(0, 20)),
    }
)


def _ctx(principal: Principal, at: datetime) -> RequestContext:
    return RequestContext(principal=principal, request_id=f"p-{uuid.uuid4().hex}", received_at=at)


def _seconds(delta: timedelta) -> str:
    micro = delta // timedelta(microseconds=1)
    return format((Decimal(micro) / Decimal(1_000_000)).normalize(), "f")


def _nearest(values: list[timedelta], fraction: float) -> str | None:
    if not values:
        return None
    ordered = sorted(values)
    return _seconds(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)])


def _share(met: int, breached: int) -> str | None:
    if met + breached == 0:
        return None
    return str((Decimal(met) / Decimal(met + breached) * 100).quantize(Decimal("0.01")))


def expected_from_events(store, ticket_ids: list[uuid.UUID]) -> dict:
    tickets = []
    for tid in ticket_ids:
        t: dict = {"breaches": set(), "first_response": None, "resolved": None}
        for e in store.events.get(tid):
            name = type(e).__name__
            if name == "Opened":
                t.update(opened=e.opened_at, priority=e.priority, assignee=e.assignee)
                t["status"] = "assigned" if (e.assignee or e.queue) else "new"
            elif name == "MessageAdded":
                if e.visibility == "public" and e.author_kind != "customer":
                    t["first_response"] = t["first_response"] or e.at
            elif name == "Assigned":
                t["assignee"] = e.assignee
            elif name == "Resolved":
                t["resolved"] = t["resolved"] or e.at
            elif name == "SlaBreached":
                t["breaches"].add(e.kind)
            if hasattr(e, "to_status"):
                t["status"] = e.to_status
        tickets.append(t)
    first = [t["first_response"] - t["opened"] for t in tickets if t["first_response"]]
    resolution = [t["resolved"] - t["opened"] for t in tickets if t["resolved"]]
    by: dict[str, dict[str, int]] = {}
    for t in tickets:
        if t["status"] in OPEN:
            row = by.setdefault(t["status"], {})
            row[t["priority"]] = row.get(t["priority"], 0) + 1
    team = []
    for member in sorted({t["assignee"] for t in tickets if t["assignee"]}):
        mine = [t for t in tickets if t["assignee"] == member]
        team.append(
            {
                "assignee_user_id": member,
                "open": sum(t["status"] in OPEN for t in mine),
                "resolved": sum(t["resolved"] is not None for t in mine),
                "resolution_median_s": _nearest(
                    [t["resolved"] - t["opened"] for t in mine if t["resolved"]], 0.5
                ),
                "breached": sum(bool(t["breaches"]) for t in mine),
            }
        )
    fr_breached = sum("first_response" in t["breaches"] for t in tickets)
    fr_met = sum(
        t["first_response"] is not None and "first_response" not in t["breaches"] for t in tickets
    )
    rs_breached = sum("resolution" in t["breaches"] for t in tickets)
    rs_met = sum(t["resolved"] is not None and "resolution" not in t["breaches"] for t in tickets)
    return {
        "tickets": len(tickets),
        "open": sum(t["status"] in OPEN for t in tickets),
        "open_by_status_priority": by,
        "first_response_s": {"median": _nearest(first, 0.5), "p90": _nearest(first, 0.9)},
        "resolution_s": {"median": _nearest(resolution, 0.5), "p90": _nearest(resolution, 0.9)},
        "sla_attainment_percent": {
            "first_response": _share(fr_met, fr_breached),
            "resolution": _share(rs_met, rs_breached),
        },
        "team": team,
    }


def _projected(database_url: str, store) -> None:
    head = store.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    with psycopg.connect(database_url, autocommit=True) as conn:
        while feed_position(conn, SupportProjector) < head:
            assert time.monotonic() < deadline, "the support projection did not catch up"
            time.sleep(0.02)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(ticket_plan, min_size=1, max_size=6))
def test_metrics_equal_the_events(plans, api_services, store, database_url):
    tenant = new_reseller(store, roles=())
    number = tenant.number
    agent = Principal(subject=f"token:agent-{number}", role=Role.ADMIN, reseller_number=number)
    users = [new_user(store, number, f"u{i}.{uuid.uuid4().hex[:6]}", "user") for i in range(2)]
    ids = []
    for index, plan in enumerate(plans):
        opened = BASE + timedelta(hours=index)
        result = open_ticket(
            store,
            _ctx(agent, opened),
            OpenTicket(
                subject="s",
                description="d",
                category="technical",
                priority=plan["priority"],
                source="internal",
            ),
        )
        tid = uuid.UUID(json.loads(result.body)["ticket_id"])
        ids.append(tid)
        if plan["assignee"] is not None:
            assign(
                store,
                _ctx(agent, opened + timedelta(seconds=30)),
                tid,
                Assign(assignee_user_id=uuid.UUID(users[plan["assignee"]])),
            )
        now = opened + timedelta(minutes=1)
        if plan["wait"]:
            change_status(store, _ctx(agent, now), tid, ChangeStatus(status="pending_customer"))
        if plan["reply_min"] is not None:
            now = opened + timedelta(minutes=plan["reply_min"], seconds=7)
            add_message(store, _ctx(agent, now), tid, AddMessage(body="reply"))
        if plan["sweep_days"] is not None:
            check_sla(store, _ctx(JOBS, now + timedelta(days=plan["sweep_days"])), tid)
        if plan["resolve_min"] is not None:
            at = max(now, opened + timedelta(minutes=plan["resolve_min"])) + timedelta(seconds=1)
            change_status(store, _ctx(agent, at), tid, ChangeStatus(status="in_progress"))
            resolve(store, _ctx(agent, at), tid, Resolve(resolution="done"))
    _projected(database_url, store)
    with psycopg.connect(database_url, autocommit=True) as conn:
        measured = support_metrics(conn, [number])
    assert measured == expected_from_events(store, ids)
