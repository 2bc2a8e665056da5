"""The Ticket aggregate's lifecycle (pure, no I/O): only sensible transitions, the reopen
window, closed is final, escalation one tier at a time with emergency the ISP's, internal
notes never in the customer's view, and the SLA pause intervals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from commands.support.tickets import customer_view, ticket_view
from domain.ledger.errors import DomainError, InvalidTransition
from domain.support.attachments import Attachment
from domain.support.ticket_terms import BASE_CATEGORIES, PRIORITIES, STATUSES
from domain.support.tickets import Ticket

T0 = datetime(2027, 1, 4, 9, tzinfo=UTC)


def new_ticket(customer: bool = True) -> Ticket:
    return Ticket.open(
        uuid.uuid4(),
        7,
        "T7-000001",
        "reseller" if customer else "internal",
        (str(uuid.uuid4()), "ABC-000001") if customer else None,
        {},
        "Subject",
        "Description",
        "technical",
        "high",
        BASE_CATEGORIES,
        T0,
        (3600, 36000),
        (None, None, None),
    )


def test_the_vocabulary_is_the_seeds():
    assert STATUSES == (
        "new",
        "assigned",
        "in_progress",
        "pending_customer",
        "escalated",
        "resolved",
        "closed",
    )
    assert PRIORITIES == ("emergency", "urgent", "high", "medium", "low")


def test_only_sensible_transitions():
    ticket = new_ticket()
    with pytest.raises(InvalidTransition):
        ticket.resolve("too early", T0)  # a new ticket is worked on first
    with pytest.raises(InvalidTransition):
        ticket.confirm(5, None, T0)
    ticket.change_status("in_progress", None, T0)
    ticket.resolve("done", T0 + timedelta(hours=1))
    with pytest.raises(InvalidTransition):
        ticket.change_status("pending_customer", None, T0)
    with pytest.raises(InvalidTransition):
        ticket.add_message(uuid.uuid4(), "a", "support", "public", "hi", [], T0, 100)
    ticket.add_message(uuid.uuid4(), "a", "support", "internal", "note", [], T0, 100)
    with pytest.raises(InvalidTransition):
        ticket.reopen("late", T0 + timedelta(days=8, hours=2), window_days=7)
    ticket.reopen("again", T0 + timedelta(days=6), window_days=7)
    assert ticket.status == "in_progress" and ticket.resolved_at is None
    ticket.resolve("done again", T0 + timedelta(days=6, hours=1))
    assert ticket.first_resolved_at == T0 + timedelta(hours=1)
    ticket.confirm(4, "thanks", T0 + timedelta(days=7))
    assert ticket.status == "closed" and ticket.satisfaction == 4
    for act in (
        lambda: ticket.reopen("x", T0 + timedelta(days=7), 7),
        lambda: ticket.change_status("in_progress", None, T0),
        lambda: ticket.escalate("x", T0, by_isp=True),
        lambda: ticket.assign(None, "q", T0),
        lambda: ticket.add_message(uuid.uuid4(), "a", "support", "internal", "n", [], T0, 100),
    ):
        with pytest.raises(InvalidTransition):
            act()


def test_escalation_tiers_and_emergency_by_the_isp_only():
    ticket = new_ticket()
    assert ticket.escalate("specialists", T0, by_isp=False) == "level_2"
    assert ticket.escalate("isp", T0, by_isp=False) == "level_3"
    assert ticket.in_isp_queue and ticket.status == "escalated"
    with pytest.raises(InvalidTransition):
        ticket.escalate("fire", T0, by_isp=False)
    assert ticket.escalate("engineering", T0, by_isp=True) == "emergency"
    with pytest.raises(InvalidTransition):
        ticket.escalate("more", T0, by_isp=True)


def test_pending_customer_intervals_and_the_customers_reply():
    ticket = new_ticket()
    ticket.change_status("pending_customer", None, T0 + timedelta(minutes=5))
    assert ticket.pause_intervals() == [(T0 + timedelta(minutes=5), None)]
    ticket.add_message(
        uuid.uuid4(), "c", "customer", "public", "here", [], T0 + timedelta(hours=2), 100
    )
    assert ticket.status == "in_progress"
    assert ticket.pause_intervals() == [(T0 + timedelta(minutes=5), T0 + timedelta(hours=2))]
    assert ticket.first_response_at is None  # the customer's own words are no response
    ticket.add_message(
        uuid.uuid4(), "a", "support", "public", "ok", [], T0 + timedelta(hours=3), 100
    )
    assert ticket.first_response_at == T0 + timedelta(hours=3)


def test_the_customer_view_never_shows_internal_notes():
    ticket = new_ticket()
    ticket.add_message(uuid.uuid4(), "a", "support", "internal", "secret note", [], T0, 100)
    ticket.add_message(uuid.uuid4(), "a", "support", "public", "visible reply", [], T0, 100)
    assert "secret note" in str(ticket_view(ticket))
    shown = customer_view(ticket)
    assert "secret note" not in str(shown)
    assert [m["body"] for m in shown["messages"]] == ["visible reply"]


def test_attachments_are_bounded_and_hashed():
    ticket = new_ticket(customer=False)
    with pytest.raises(DomainError) as too_big:
        ticket.add_message(
            uuid.uuid4(),
            "a",
            "support",
            "public",
            "x",
            [Attachment("a.txt", "text/plain", b"x" * 101)],
            T0,
            100,
        )
    assert too_big.value.field == "attachments.0.content_base64"
    message = ticket.add_message(
        uuid.uuid4(),
        "a",
        "support",
        "public",
        "x",
        [Attachment("a.txt", "text/plain", b"abc")],
        T0,
        100,
    )
    assert message["attachments"][0]["sha256"] == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_a_breach_is_recorded_once():
    ticket = new_ticket()
    assert ticket.record_breach("first_response", T0) is True
    assert ticket.record_breach("first_response", T0 + timedelta(hours=1)) is False
    assert ticket.breaches == ["first_response"]
