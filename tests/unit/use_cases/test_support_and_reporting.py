"""Use cases of the support desk and of reporting: tickets and report schedules."""

from __future__ import annotations

from uuid import UUID

import pytest

from commands.errors import NotFound, Unprocessable
from commands.reporting.schedules import ScheduleReport, cancel_schedule, schedule_report
from commands.support.tickets import (
    ChangeStatus,
    OpenTicket,
    Resolve,
    change_status,
    open_ticket,
    resolve,
)
from domain.access.roles import Role
from domain.reporting.schedule import ReportSchedule
from tests.support.in_memory import event_names, events_since, head

from .steps import a_customer, a_reseller, as_reseller, body


def test_a_team_member_opens_numbered_tickets_for_a_customer(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)
    before = head(store)

    tickets = [
        body(
            open_ticket(
                store,
                as_reseller(reseller.number, Role.USER),
                OpenTicket(
                    customer_id=customer_id,
                    subject=f"No connection {n}",
                    description="The router shows a red light",
                    category="technical",
                    priority="high",
                ),
            )
        )
        for n in (1, 2)
    ]

    assert [t["number"] for t in tickets] == ["T1-000001", "T1-000002"]
    first = tickets[0]
    assert (first["status"], first["customer_id"], first["subject"]) == (
        "new",
        str(customer_id),
        "No connection 1",
    )
    assert event_names(events_since(store, before)).count("Ticket.Opened") == 2
    # The customer's words are personal data: stored sealed.
    stored = store.recorder.select_notifications(start=before, limit=20, inclusive_of_start=False)
    assert all(b"red light" not in n.state for n in stored)


def test_a_ticket_for_another_resellers_customer_is_refused(store) -> None:
    owner = a_reseller(store)
    stranger = a_reseller(store)
    customer_id = a_customer(store, owner.number)
    before = head(store)

    with pytest.raises(NotFound) as refused:
        open_ticket(
            store,
            as_reseller(stranger.number),
            OpenTicket(customer_id=customer_id, subject="x", description="y", category="technical"),
        )

    assert refused.value.field == "customer_id"
    assert head(store) == before


def test_a_ticket_is_worked_on_then_resolved_and_never_resolved_while_new(store) -> None:
    reseller = a_reseller(store)
    opened = body(
        open_ticket(
            store,
            as_reseller(reseller.number),
            OpenTicket(
                source="internal",
                subject="Billing run",
                description="check",
                category="billing_inquiry",
            ),
        )
    )
    ticket_id = UUID(opened["ticket_id"])
    with pytest.raises(Unprocessable, match="new ticket cannot be resolved"):
        resolve(store, as_reseller(reseller.number), ticket_id, Resolve(resolution="too soon"))

    change_status(
        store, as_reseller(reseller.number), ticket_id, ChangeStatus(status="in_progress")
    )
    resolved = resolve(
        store, as_reseller(reseller.number), ticket_id, Resolve(resolution="rerun done")
    )

    assert body(resolved)["status"] == "resolved"
    assert body(resolved)["resolved_at"] is not None


def test_a_manager_schedules_a_monthly_report_and_an_admin_cancels_it(store) -> None:
    reseller = a_reseller(store)

    scheduled = schedule_report(
        store,
        as_reseller(reseller.number, Role.MANAGER),
        ScheduleReport(kind="revenue", format="csv", frequency="monthly"),
    )
    schedule_id = body(scheduled)["schedule_id"]
    cancelled = cancel_schedule(store, as_reseller(reseller.number), UUID(schedule_id))

    assert scheduled.status_code == 201
    assert body(scheduled)["active"] is True
    assert body(cancelled)["active"] is False
    schedule = store.repository.get(UUID(schedule_id))
    assert isinstance(schedule, ReportSchedule)
    assert not schedule.active
