"""Support tickets (seed §9, §13.1 `POST /reseller/api/tickets`): open on a customer's behalf
or internally, list, read (the support view, or what the customer may see), converse with
replies and internal notes, assign, work, escalate up to the master ISP, resolve, reopen,
confirm."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
    wait_until,
)
from api.schemas import BINARY_FILE, PROBLEMS
from commands.errors import NotFound
from commands.support import tickets
from commands.support.tickets import Priority, TicketStatus
from domain.access.roles import Permission
from projections.customers.customers import CustomerFilters, list_customers
from projections.support.projector import SupportProjector
from projections.support.queries import list_tickets, ticket_history, ticket_reseller

router = APIRouter(prefix="/reseller/api/tickets", tags=["tickets"], route_class=ExactJSONRoute)
Level = Literal["level_1", "level_2", "level_3", "emergency"]


class AttachmentOut(BaseModel):
    attachment_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class MessageOut(BaseModel):
    message_id: str
    author: str
    author_kind: Literal["customer", "support", "isp"]
    visibility: Literal["public", "internal"]
    body: str
    at: str
    attachments: list[AttachmentOut]


class TicketBase(BaseModel):
    ticket_id: str
    number: str
    reseller_id: int
    source: Literal["customer", "reseller", "internal"]
    customer_id: str | None
    portal_id: str | None
    subject: str
    category: str
    priority: Priority
    status: TicketStatus
    opened_at: str
    resolved_at: str | None
    closed_at: str | None


class SlaOut(BaseModel):
    first_response_target_minutes: int
    resolution_target_minutes: int
    breached: list[Literal["first_response", "resolution"]]
    paused: bool


class TicketOut(TicketBase):
    service_id: str | None
    invoice_id: str | None
    equipment: str | None
    description: str
    satisfaction: int | None
    level: Level
    in_isp_queue: bool
    assignee_user_id: str | None
    queue: str | None
    first_response_at: str | None
    sla: SlaOut
    articles: list[str]
    messages: list[MessageOut]
    version: int


class CustomerTicketOut(TicketBase):
    """What the customer may see: public replies only."""

    service_id: str | None
    invoice_id: str | None
    equipment: str | None
    description: str
    satisfaction: int | None
    messages: list[MessageOut]


class TicketRow(TicketBase):
    level: Level
    assignee_user_id: str | None
    queue: str | None
    first_response_at: str | None
    first_response_breached: bool
    resolution_breached: bool
    version: int


class TicketPage(BaseModel):
    items: list[TicketRow]
    total: int
    limit: int
    offset: int


class HistoryOut(BaseModel):
    position: int
    event: str
    actor: str | None
    role: str | None
    realm: str | None
    at: str
    details: dict[str, Any]


CREATED: dict[int | str, dict[str, Any]] = {**PROBLEMS, 201: {"model": TicketOut}}
CHANGED: dict[int | str, dict[str, Any]] = {**PROBLEMS, 200: {"model": TicketOut}}


@router.post("", status_code=201, response_model=TicketOut, responses=CREATED)
def open_ticket(
    command: tickets.OpenTicket, context: Context, s: Services, conn: ReadConnection
) -> Response:
    """Open a ticket: on a customer's behalf (by Portal ID or customer id, optionally naming a
    service, an invoice or equipment) or internal. Routing rules may assign it at once."""
    if command.portal_id is not None and command.customer_id is None:
        number = context.principal.reseller_in_scope(command.reseller_id)
        page = list_customers(conn, number, CustomerFilters(), 1, 0, only=[command.portal_id])
        found = [c for c in page.items if c["portal_id"] == command.portal_id]
        if not found:
            raise NotFound("customer not found", field="portal_id")
        command = command.model_copy(update={"customer_id": UUID(found[0]["customer_id"])})
    return command_response(tickets.open_ticket(s.store, context, command))


@router.get("", response_model=TicketPage, responses=PROBLEMS)
def list_all(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    level: Level | None = None,
    assignee_user_id: UUID | None = None,
    queue: Annotated[str | None, Query(max_length=100)] = None,
    portal_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """The reseller's tickets, oldest first (filters are exact matches)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.TICKET_MANAGE)
    wait_until(s, conn, SupportProjector, wait_for_position, number, READ_WAIT_MS)
    filters = {
        "status": status,
        "priority": priority,
        "category": category,
        "level": level,
        "assignee": None if assignee_user_id is None else str(assignee_user_id),
        "queue": queue,
        "portal_id": portal_id,
    }
    return list_tickets(conn, [number], filters, min(limit, s.config.page_size_max), offset)


@router.get("/{ticket_id}", response_model=TicketOut, responses=PROBLEMS)
def one(ticket_id: str, context: Context, s: Services) -> dict[str, Any]:
    """The ticket with its whole conversation (replies and internal notes), from the store."""
    return tickets.get_ticket(s.store, context, parse_uuid(ticket_id, "ticket"))


@router.get("/{ticket_id}/customer-view", response_model=CustomerTicketOut, responses=PROBLEMS)
def customer_view(ticket_id: str, context: Context, s: Services) -> dict[str, Any]:
    """The ticket as its customer sees it: no internal notes, no assignment, no tiers."""
    return tickets.get_ticket(s.store, context, parse_uuid(ticket_id, "ticket"), "customer")


@router.get("/{ticket_id}/history", response_model=list[HistoryOut], responses=PROBLEMS)
def history(
    ticket_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """Every step of the ticket (each an event) with its actor, oldest first."""
    uid = str(parse_uuid(ticket_id, "ticket"))
    if wait_for_position is not None:
        wait_until(s, conn, SupportProjector, wait_for_position, None, READ_WAIT_MS)
    number = ticket_reseller(conn, uid)
    if number is None:
        raise NotFound("ticket not found", field="ticket_id")
    context.principal.reseller_in_scope(number)
    context.principal.require(Permission.TICKET_MANAGE)
    return ticket_history(conn, uid)


@router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    response_class=Response,
    responses=BINARY_FILE,
)
def attachment(ticket_id: str, attachment_id: str, context: Context, s: Services) -> Response:
    """An attachment's bytes; `X-Content-SHA256` is the hash its event recorded."""
    recorded, content = tickets.attachment(
        s.store, context, parse_uuid(ticket_id, "ticket"), parse_uuid(attachment_id, "attachment")
    )
    return Response(
        content,
        media_type=recorded["content_type"],
        headers={
            "X-Content-SHA256": recorded["sha256"],
            "Content-Disposition": f'attachment; filename="{recorded["filename"]}"',
        },
    )


@router.post("/{ticket_id}/messages", status_code=201, response_model=TicketOut, responses=CREATED)
def message(ticket_id: str, command: tickets.AddMessage, context: Context, s: Services) -> Response:
    """A customer-visible reply (`public`) or an internal note, with base64 attachments."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.add_message(s.store, context, uid, command))


@router.post("/{ticket_id}/assign", response_model=TicketOut, responses=CHANGED)
def assign(ticket_id: str, command: tickets.Assign, context: Context, s: Services) -> Response:
    """Assign (or reassign) to a team member or a queue."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.assign(s.store, context, uid, command))


@router.post("/{ticket_id}/status", response_model=TicketOut, responses=CHANGED)
def status_change(
    ticket_id: str, command: tickets.ChangeStatus, context: Context, s: Services
) -> Response:
    """In Progress, or Pending Customer (the SLA clock stops until the customer replies or the
    ticket moves on)."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.change_status(s.store, context, uid, command))


@router.post("/{ticket_id}/escalate", response_model=TicketOut, responses=CHANGED)
def escalate(ticket_id: str, command: tickets.Escalate, context: Context, s: Services) -> Response:
    """One tier up: level 1 -> 2 (technical specialists) -> 3 (master ISP support) ->
    emergency (ISP engineering, by the ISP only)."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.escalate(s.store, context, uid, command))


@router.post("/{ticket_id}/resolve", response_model=TicketOut, responses=CHANGED)
def resolve(ticket_id: str, command: tickets.Resolve, context: Context, s: Services) -> Response:
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.resolve(s.store, context, uid, command))


@router.post("/{ticket_id}/reopen", response_model=TicketOut, responses=CHANGED)
def reopen(ticket_id: str, command: tickets.Reopen, context: Context, s: Services) -> Response:
    """Reopen a resolved ticket within the desk's reopen window."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.reopen(s.store, context, uid, command))


@router.post("/{ticket_id}/confirm", response_model=TicketOut, responses=CHANGED)
def confirm(ticket_id: str, command: tickets.Confirm, context: Context, s: Services) -> Response:
    """The customer confirms the resolution (optional satisfaction 1-5): closed, for good."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.confirm(s.store, context, uid, command))


@router.post("/{ticket_id}/articles", response_model=TicketOut, responses=CHANGED)
def link_article(
    ticket_id: str, command: tickets.LinkArticle, context: Context, s: Services
) -> Response:
    """Link a knowledge-base article the reseller may read."""
    uid = parse_uuid(ticket_id, "ticket")
    return command_response(tickets.link_article(s.store, context, uid, command))
