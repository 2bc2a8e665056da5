"""Ticket use cases: open (on a customer's behalf or internal), converse, assign, work,
escalate, resolve, reopen, confirm; SLA checks and auto-closure for the worker.

Scope before permission: a ticket of a reseller outside the caller's reach is not found. All
ticket work needs `ticket_manage`; the master ISP (realm "isp") reaches every reseller's
tickets and is the only one to take a ticket to `emergency`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import Field

from commands.errors import NotFound
from commands.models import CommandModel, LaxUUID
from commands.partners.resellers import tenant_of
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from commands.support.common import (
    MAX_ATTACHMENT_BYTES,
    AttachmentUpload,
    author_kind,
    categories_of,
    desk_of,
)
from domain.access.roles import Permission
from domain.customers.customer import Customer
from domain.ledger.personal import reveal
from domain.support import sla
from domain.support.ticket_terms import (
    MAX_ATTACHMENTS_PER_MESSAGE,
    MAX_SUBJECT,
    MAX_TEXT,
    PRIORITIES,
    STATUSES,
)
from domain.support.tickets import Ticket

TicketStatus = Literal[
    "new", "assigned", "in_progress", "pending_customer", "escalated", "resolved", "closed"
]
Priority = Literal["emergency", "urgent", "high", "medium", "low"]
if get_args(TicketStatus) != STATUSES or get_args(Priority) != PRIORITIES:
    raise RuntimeError("the API's ticket vocabulary must be the domain's")
Category = str


class OpenTicket(CommandModel):
    reseller_id: int | None = Field(default=None, ge=1)
    source: Literal["customer", "reseller", "internal"] = Field(
        default="reseller",
        description="`customer`: raised by the customer (through the API on their behalf); "
        "`reseller`: by a team member on a customer's behalf; `internal`: no customer",
    )
    customer_id: LaxUUID | None = None
    portal_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="The customer's support reference"
    )
    service_id: LaxUUID | None = None
    invoice_id: str | None = Field(default=None, min_length=1, max_length=64)
    equipment: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    category: Category = Field(min_length=1, max_length=50, examples=["technical"])
    priority: Priority = "medium"


class AddMessage(CommandModel):
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    visibility: Literal["public", "internal"] = Field(
        default="public", description="`public`: a reply the customer sees; `internal`: a note"
    )
    from_customer: bool = Field(
        default=False, description="Recorded on the customer's behalf (e.g. a phone call)"
    )
    attachments: list[AttachmentUpload] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS_PER_MESSAGE
    )


class Assign(CommandModel):
    assignee_user_id: LaxUUID | None = None
    queue: str | None = Field(default=None, min_length=1, max_length=100)


class ChangeStatus(CommandModel):
    status: Literal["in_progress", "pending_customer"]
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class Escalate(CommandModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class Resolve(CommandModel):
    resolution: str = Field(min_length=1, max_length=MAX_TEXT)


class Reopen(CommandModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class Confirm(CommandModel):
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=MAX_TEXT)


class LinkArticle(CommandModel):
    article_id: LaxUUID


def ticket_in_scope(store: Store, context: RequestContext, ticket_id: UUID) -> Ticket:
    ticket = load(store, ticket_id, Ticket, "ticket")
    context.principal.reseller_in_scope(ticket.reseller_number)
    return ticket


def _team_member(store: Store, reseller_number: int, user_id: UUID, field: str) -> str:
    from domain.access.users import ResellerUser

    try:
        user = load(store, user_id, ResellerUser, "user")
    except NotFound:
        raise NotFound("user not found", field=field) from None
    if user.reseller_number != reseller_number:
        raise NotFound("user not found", field=field)
    return str(user.id)


def open_ticket(store: Store, context: RequestContext, command: OpenTicket) -> CommandResult:
    number = context.principal.reseller_in_scope(command.reseller_id)
    context.principal.require(Permission.TICKET_MANAGE)
    at = context.received_at

    def handle() -> Outcome:
        customer = None
        if command.customer_id is not None:
            record = load(store, command.customer_id, Customer, "customer")
            if (
                not context.principal.sees_customer(
                    record.reseller_number, str(record.id), record.portal_id
                )
                or record.reseller_number != number
            ):
                raise NotFound("customer not found", field="customer_id")
            if command.portal_id is not None and command.portal_id != record.portal_id:
                raise NotFound("customer not found", field="portal_id")
            customer = (str(record.id), record.portal_id)
            if command.service_id is not None:
                _service_of(store, command.service_id, record.id)
        elif command.portal_id is not None:
            raise NotFound("customer not found", field="portal_id")
        desk = desk_of(store, number)
        categories = categories_of(store)
        ticket = Ticket.open(
            uuid.uuid4(),
            number,
            desk.next_ticket_number(),
            command.source,
            customer,
            {
                "service_id": None if command.service_id is None else str(command.service_id),
                "invoice_id": command.invoice_id,
                "equipment": command.equipment,
            },
            command.subject,
            command.description,
            command.category,
            command.priority,
            categories.names,
            at,
            desk.targets_s(command.priority),
            desk.route(command.category, command.priority),
        )
        return Outcome([desk, ticket], ticket_view(ticket), tenant_of(store, number), number, 201)

    return run_command(
        store, context, handle, fingerprint("open_ticket", number, command.model_dump(mode="json"))
    )


def _subject(ticket: Ticket) -> UUID | None:
    """Whose personal data a ticket's response shows (its stored copy is encrypted so)."""
    return None if ticket.customer_id is None else UUID(ticket.customer_id)


def _service_of(store: Store, service_id: UUID, customer_id: UUID) -> None:
    from domain.catalogue.tariffs import CustomerService

    try:
        service = load(store, service_id, CustomerService, "service")
    except NotFound:
        raise NotFound("service not found", field="service_id") from None
    if service.customer_id != customer_id:
        raise NotFound("service not found", field="service_id")


def _on_ticket(
    store: Store,
    context: RequestContext,
    ticket_id: UUID,
    act: Callable[[Ticket], object],
    request_fingerprint: str,
    status_code: int = 200,
) -> CommandResult:
    def handle() -> Outcome:
        ticket = ticket_in_scope(store, context, ticket_id)
        context.principal.require(Permission.TICKET_MANAGE)
        act(ticket)
        number = ticket.reseller_number
        return Outcome(
            [ticket],
            ticket_view(ticket),
            tenant_of(store, number),
            number,
            status_code,
            personal_subject=_subject(ticket),
        )

    return run_command(store, context, handle, request_fingerprint)


def add_message(
    store: Store, context: RequestContext, ticket_id: UUID, command: AddMessage
) -> CommandResult:
    attachments = [a.decoded(f"attachments.{i}.") for i, a in enumerate(command.attachments)]
    kind = "customer" if command.from_customer else author_kind(context.principal)
    message_id = uuid.uuid4()
    return _on_ticket(
        store,
        context,
        ticket_id,
        lambda t: t.add_message(
            message_id,
            context.principal.subject,
            kind,
            command.visibility,
            command.body,
            attachments,
            context.received_at,
            MAX_ATTACHMENT_BYTES,
        ),
        fingerprint(
            "ticket_message",
            ticket_id,
            command.body,
            command.visibility,
            command.from_customer,
            [a.sha256 for a in attachments],
        ),
        201,
    )


def assign(
    store: Store, context: RequestContext, ticket_id: UUID, command: Assign
) -> CommandResult:
    def act(ticket: Ticket) -> None:
        assignee = None
        if command.assignee_user_id is not None:
            assignee = _team_member(
                store, ticket.reseller_number, command.assignee_user_id, "assignee_user_id"
            )
        ticket.assign(assignee, command.queue, context.received_at)

    return _on_ticket(
        store,
        context,
        ticket_id,
        act,
        fingerprint("ticket_assign", ticket_id, command.model_dump(mode="json")),
    )


def change_status(
    store: Store, context: RequestContext, ticket_id: UUID, command: ChangeStatus
) -> CommandResult:
    return _on_ticket(
        store,
        context,
        ticket_id,
        lambda t: t.change_status(command.status, command.note, context.received_at),
        fingerprint("ticket_status", ticket_id, command.model_dump()),
    )


def escalate(
    store: Store, context: RequestContext, ticket_id: UUID, command: Escalate
) -> CommandResult:
    return _on_ticket(
        store,
        context,
        ticket_id,
        lambda t: t.escalate(command.reason, context.received_at, context.principal.in_isp_realm),
        fingerprint("ticket_escalate", ticket_id, command.model_dump()),
    )


def resolve(
    store: Store, context: RequestContext, ticket_id: UUID, command: Resolve
) -> CommandResult:
    return _on_ticket(
        store,
        context,
        ticket_id,
        lambda t: t.resolve(command.resolution, context.received_at),
        fingerprint("ticket_resolve", ticket_id, command.model_dump()),
    )


def reopen(
    store: Store, context: RequestContext, ticket_id: UUID, command: Reopen
) -> CommandResult:
    def act(ticket: Ticket) -> None:
        window = desk_of(store, ticket.reseller_number).reopen_days
        ticket.reopen(command.reason, context.received_at, window)

    return _on_ticket(
        store,
        context,
        ticket_id,
        act,
        fingerprint("ticket_reopen", ticket_id, command.model_dump()),
    )


def confirm(
    store: Store, context: RequestContext, ticket_id: UUID, command: Confirm
) -> CommandResult:
    return _on_ticket(
        store,
        context,
        ticket_id,
        lambda t: t.confirm(command.satisfaction, command.comment, context.received_at),
        fingerprint("ticket_confirm", ticket_id, command.model_dump()),
    )


def link_article(
    store: Store, context: RequestContext, ticket_id: UUID, command: LinkArticle
) -> CommandResult:
    from domain.support.knowledge_base import Article

    def act(ticket: Ticket) -> None:
        try:
            article = load(store, command.article_id, Article, "article")
        except NotFound:
            raise NotFound("article not found", field="article_id") from None
        if not article.visible_to(ticket.reseller_number):
            raise NotFound("article not found", field="article_id")
        ticket.link_article(article.id, context.received_at)

    return _on_ticket(
        store,
        context,
        ticket_id,
        act,
        fingerprint("ticket_article", ticket_id, str(command.article_id)),
    )


def get_ticket(
    store: Store, context: RequestContext, ticket_id: UUID, audience: str = "support"
) -> dict[str, Any]:
    """The ticket as the support side sees it, or (`customer`) as its customer may: public
    replies only, no internal notes, no assignee or internal history."""
    ticket = ticket_in_scope(store, context, ticket_id)
    context.principal.require(Permission.TICKET_MANAGE)
    return ticket_view(ticket) if audience == "support" else customer_view(ticket)


def attachment(
    store: Store, context: RequestContext, ticket_id: UUID, attachment_id: UUID
) -> tuple[dict[str, Any], bytes]:
    """An attachment's metadata and bytes, checked against the SHA-256 its event recorded."""
    ticket = ticket_in_scope(store, context, ticket_id)
    context.principal.require(Permission.TICKET_MANAGE)
    recorded = ticket.attachment(attachment_id)
    if recorded is None:
        raise NotFound("attachment not found", field="attachment_id")
    content = base64.b64decode(recorded["content_base64"])
    if hashlib.sha256(content).hexdigest() != recorded["sha256"]:
        raise RuntimeError(f"attachment {attachment_id} does not match its recorded hash")
    return recorded, content


# -- the worker's side ---------------------------------------------------------------------


def check_sla(store: Store, context: RequestContext, ticket_id: UUID) -> list[str]:
    """Record the breaches due at `context.received_at` (each once) and, where the desk says
    so, escalate one tier per breach. Returns the kinds newly breached."""
    now = context.received_at
    newly: list[str] = []

    def handle() -> Outcome:
        newly.clear()
        ticket = load(store, ticket_id, Ticket, "ticket")
        context.principal.require(Permission.TICKET_MANAGE)
        desk = desk_of(store, ticket.reseller_number)
        clock = sla.Clock(ticket.opened_at, ticket.pause_intervals())
        checks = (
            (sla.FIRST_RESPONSE, ticket.first_response_target_s, ticket.first_response_at),
            (sla.RESOLUTION, ticket.resolution_target_s, ticket.first_resolved_at),
        )
        for kind, target, met_at in checks:
            if kind in ticket.breaches or ticket.status == "closed":
                continue
            if sla.is_breached(desk.calendar, clock, target, met_at, now):
                ticket.record_breach(kind, now)
                newly.append(kind)
                if desk.auto_escalate and ticket.is_open and ticket.level in ("level_1", "level_2"):
                    ticket.escalate(f"SLA breach: {kind}", now, by_isp=False, automatic=True)
        number = ticket.reseller_number
        return Outcome([ticket], {"breached": list(newly)}, tenant_of(store, number), number)

    run_command(store, context, handle, fingerprint("ticket_sla", ticket_id, now.isoformat()))
    return newly


def auto_close(store: Store, context: RequestContext, ticket_id: UUID) -> bool:
    closed: list[bool] = []

    def handle() -> Outcome:
        closed.clear()
        ticket = load(store, ticket_id, Ticket, "ticket")
        context.principal.require(Permission.TICKET_MANAGE)
        days = desk_of(store, ticket.reseller_number).auto_close_days
        closed.append(ticket.auto_close(context.received_at, days))
        number = ticket.reseller_number
        return Outcome([ticket], {"closed": closed[-1]}, tenant_of(store, number), number)

    run_command(store, context, handle, fingerprint("ticket_autoclose", ticket_id))
    return bool(closed and closed[-1])


# -- views ---------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _message_view(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": message["message_id"],
        "author": message["author"],
        "author_kind": message["author_kind"],
        "visibility": message["visibility"],
        "body": reveal(message["body"]),
        "at": _iso(message["at"]),
        "attachments": [
            {k: a[k] for k in ("attachment_id", "filename", "content_type", "size_bytes", "sha256")}
            for a in message["attachments"]
        ],
    }


def _base_view(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket.id),
        "number": ticket.number,
        "reseller_id": ticket.reseller_number,
        "source": ticket.source,
        "customer_id": ticket.customer_id,
        "portal_id": ticket.portal_id,
        "service_id": ticket.service_id,
        "invoice_id": ticket.invoice_id,
        "equipment": ticket.equipment,
        "subject": reveal(ticket.subject),
        "description": reveal(ticket.problem_description),
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "opened_at": _iso(ticket.opened_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "satisfaction": ticket.satisfaction,
    }


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return {
        **_base_view(ticket),
        "level": ticket.level,
        "in_isp_queue": ticket.in_isp_queue,
        "assignee_user_id": ticket.assignee,
        "queue": ticket.queue,
        "first_response_at": _iso(ticket.first_response_at),
        "sla": {
            "first_response_target_minutes": ticket.first_response_target_s // 60,
            "resolution_target_minutes": ticket.resolution_target_s // 60,
            "breached": list(ticket.breaches),
            "paused": bool(ticket.pauses and ticket.pauses[-1][1] is None),
        },
        "articles": list(ticket.articles),
        "messages": [_message_view(m) for m in ticket.messages],
        "version": ticket.version,
    }


def customer_view(ticket: Ticket) -> dict[str, Any]:
    return {
        **_base_view(ticket),
        "messages": [_message_view(m) for m in ticket.messages if m["visibility"] == "public"],
    }
