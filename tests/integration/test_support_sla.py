"""SLA timers on a controllable clock (issue 15 "Must show" 3): the support sweep runs as a
Dramatiq job on the jobs' clock; a first-response breach across a weekend and a holiday fires
exactly once and escalates when the desk says so; Pending Customer pauses the clock; a
resolved ticket auto-closes after the desk's days."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from dramatiq import Worker

from commands.support.desk import Calendar, DeskSettings, SlaTarget, change_settings
from commands.support.tickets import (
    AddMessage,
    ChangeStatus,
    OpenTicket,
    Resolve,
    add_message,
    change_status,
    open_ticket,
    resolve,
)
from domain.access.roles import Role
from domain.support.tickets import Ticket
from infra import jobs
from infra.jobs import QUEUE, support_sweep_job, sweep_support
from projections.base import feed_position
from projections.support.projector import SupportProjector
from tests.support.builders import context, new_reseller, reseller_principal

FRIDAY_1630 = datetime(2027, 1, 8, 16, 30, tzinfo=UTC)
HOLIDAY = "2027-01-11"  # the Monday after
TUESDAY = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup(api_services, store):
    tenant = new_reseller(store, roles=(Role.ADMIN,))
    return tenant


def desk(store, number, auto_escalate):
    change_settings(
        store,
        context(reseller_principal(number)),
        DeskSettings(
            sla_targets={"high": SlaTarget(first_response_minutes=60, resolution_minutes=600)},
            calendar=Calendar(timezone="UTC", opens="09:00", closes="17:00", holidays=[HOLIDAY]),
            auto_escalate_on_breach=auto_escalate,
        ),
        None,
    )


def opened(store, number, at):
    result = open_ticket(
        store,
        context(reseller_principal(number), now=at),
        OpenTicket(
            subject="Down",
            description="No sync",
            category="technical",
            priority="high",
            source="internal",
        ),
    )
    return uuid.UUID(json.loads(result.body)["ticket_id"])


def projected(database_url, store):
    head = store.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    with psycopg.connect(database_url, autocommit=True) as conn:
        while feed_position(conn, SupportProjector) < head:
            assert time.monotonic() < deadline, "the support projection did not catch up"
            time.sleep(0.02)


def events(store, ticket_id):
    return [type(e).__name__ for e in store.events.get(ticket_id)]


def ticket(store, ticket_id) -> Ticket:
    found = store.repository.get(ticket_id)
    assert isinstance(found, Ticket)
    return found


def test_first_response_breach_across_weekend_and_holiday_fires_once_and_escalates(
    setup, store, database_url, job_broker, monkeypatch
):
    number = setup.number
    desk(store, number, auto_escalate=True)
    ticket_id = opened(store, number, FRIDAY_1630)
    projected(database_url, store)

    # 30 business minutes on Friday; none on the weekend or the holiday; due Tuesday 09:30.
    for at in (
        datetime(2027, 1, 9, 12, tzinfo=UTC),
        datetime(2027, 1, 10, 23, tzinfo=UTC),
        datetime(2027, 1, 11, 16, tzinfo=UTC),
        datetime(2027, 1, 12, 9, 29, tzinfo=UTC),
    ):
        assert sweep_support(at.isoformat(), number) == {"breaches": 0, "closed": 0}
    assert "SlaBreached" not in events(store, ticket_id)

    # The job itself, through Dramatiq, on a clock the test controls.
    monkeypatch.setattr(
        jobs.JobRuntime, "clock", staticmethod(lambda: datetime(2027, 1, 12, 9, 31, tzinfo=UTC))
    )
    worker = Worker(job_broker, worker_threads=1)
    worker.start()
    try:
        support_sweep_job.send(None, number)
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    found = ticket(store, ticket_id)
    assert found.breaches == ["first_response"]
    assert found.level == "level_2" and found.status == "escalated"

    # Exactly once, however often the timer runs again.
    projected(database_url, store)
    for at in (datetime(2027, 1, 12, 10, tzinfo=UTC), datetime(2027, 1, 13, 9, tzinfo=UTC)):
        sweep_support(at.isoformat(), number)
    names = events(store, ticket_id)
    assert names.count("SlaBreached") == 1
    assert names.count("Escalated") == 1
    projected(database_url, store)
    with psycopg.connect(database_url, autocommit=True) as conn:
        steps = conn.execute(
            "SELECT event_type, actor, realm FROM proj_support.history WHERE ticket_id = %s"
            " AND event_type IN ('SlaBreached', 'Escalated') ORDER BY position",
            (ticket_id,),
        ).fetchall()
    assert steps == [("SlaBreached", "system:jobs", "isp"), ("Escalated", "system:jobs", "isp")]


def test_no_escalation_unless_configured_and_pending_customer_pauses(setup, store, database_url):
    number = setup.number
    desk(store, number, auto_escalate=False)
    ticket_id = opened(store, number, TUESDAY)
    agent = context(reseller_principal(number), now=TUESDAY + timedelta(minutes=10))
    change_status(store, agent, ticket_id, ChangeStatus(status="pending_customer"))
    projected(database_url, store)

    # Paused for two days: 10 minutes used, no breach.
    assert (
        sweep_support(datetime(2027, 1, 14, 9, 55, tzinfo=UTC).isoformat(), number)["breaches"] == 0
    )
    customer = context(reseller_principal(number), now=datetime(2027, 1, 14, 10, 0, tzinfo=UTC))
    add_message(store, customer, ticket_id, AddMessage(body="Here it is", from_customer=True))
    assert ticket(store, ticket_id).status == "in_progress"
    projected(database_url, store)
    assert (
        sweep_support(datetime(2027, 1, 14, 10, 49, tzinfo=UTC).isoformat(), number)["breaches"]
        == 0
    )
    assert (
        sweep_support(datetime(2027, 1, 14, 10, 51, tzinfo=UTC).isoformat(), number)["breaches"]
        == 1
    )
    found = ticket(store, ticket_id)
    assert found.breaches == ["first_response"]
    assert found.level == "level_1" and found.status == "in_progress"


def test_resolved_ticket_auto_closes_after_the_desks_days(setup, store, database_url):
    number = setup.number
    desk(store, number, auto_escalate=False)
    ticket_id = opened(store, number, TUESDAY)
    at = TUESDAY + timedelta(minutes=5)
    agent = context(reseller_principal(number), now=at)
    add_message(store, agent, ticket_id, AddMessage(body="On it"))
    change_status(store, agent, ticket_id, ChangeStatus(status="in_progress"))
    resolve(store, agent, ticket_id, Resolve(resolution="Fixed"))
    projected(database_url, store)
    assert sweep_support((at + timedelta(days=4)).isoformat(), number)["closed"] == 0
    assert sweep_support((at + timedelta(days=5)).isoformat(), number)["closed"] == 1
    found = ticket(store, ticket_id)
    assert found.status == "closed" and found.breaches == []


def test_the_support_projection_rebuilt_from_the_log_equals_the_live_one(
    setup, store, database_url
):
    from replays.diff import diff_schemas
    from replays.rebuild import drop_schema, rebuild

    number = setup.number
    desk(store, number, auto_escalate=True)
    ticket_id = opened(store, number, FRIDAY_1630)
    agent = context(reseller_principal(number), now=FRIDAY_1630 + timedelta(minutes=1))
    add_message(store, agent, ticket_id, AddMessage(body="internal", visibility="internal"))
    projected(database_url, store)
    sweep_support(datetime(2027, 1, 13, 9, tzinfo=UTC).isoformat(), number)
    projected(database_url, store)
    head = store.recorder.max_notification_id()
    with psycopg.connect(database_url, autocommit=True) as conn:
        rebuild(store, conn, SupportProjector, 500, "support_rebuilt", stop=head)
        try:
            diffs = diff_schemas(conn, SupportProjector, "proj_support", "support_rebuilt")
        finally:
            drop_schema(conn, "support_rebuilt")
    assert all(d.left_rows == d.right_rows for d in diffs), diffs
    assert all(not d.only_in_left and not d.only_in_right for d in diffs), diffs
    assert next(d for d in diffs if d.table == "tickets").left_rows >= 1
