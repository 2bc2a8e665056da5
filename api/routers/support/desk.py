"""The support desk around the tickets: each reseller's desk settings (routing, SLA targets,
business calendar), the master ISP's escalation queue, the ISP's ticket categories, and the
support metrics."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    IfMatch,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
    wait_until,
)
from api.routers.support.tickets import TicketPage
from api.schemas import PROBLEMS, downloads
from commands.customers.customers import load_customer_in_scope
from commands.errors import Forbidden, NotFound, Unprocessable
from commands.support import desk
from domain.access.roles import Permission
from projections.reporting.exports import export
from projections.reporting.metrics import reseller_info
from projections.reporting.read_model import ReportingProjector
from projections.support.projector import SupportProjector
from projections.support.queries import communications, list_tickets, support_metrics
from projections.support.report import support_report

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


class CategoriesOut(BaseModel):
    categories: list[str]
    version: int


class SettingsOut(BaseModel):
    reseller_id: int
    routing_rules: list[dict[str, Any]]
    sla_targets: dict[str, dict[str, int]]
    calendar: dict[str, Any]
    auto_escalate_on_breach: bool
    reopen_days: int
    auto_close_days: int
    version: int


class Percentiles(BaseModel):
    median: str | None
    p90: str | None


class TeamMember(BaseModel):
    assignee_user_id: str
    open: int
    resolved: int
    resolution_median_s: str | None
    breached: int


class MetricsOut(BaseModel):
    tickets: int
    open: int
    open_by_status_priority: dict[str, dict[str, int]]
    first_response_s: Percentiles
    resolution_s: Percentiles
    sla_attainment_percent: dict[str, str | None]
    team: list[TeamMember]


@router.get("/queue", response_model=TicketPage, responses=PROBLEMS)
def isp_queue(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    open_only: bool = True,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """The master ISP's queue: tickets escalated to level 3 or emergency, every reseller's."""
    if not context.principal.in_isp_realm:
        raise Forbidden("the escalation queue is the master ISP's")
    context.principal.require(Permission.TICKET_MANAGE)
    if wait_for_position is not None:
        wait_until(s, conn, SupportProjector, wait_for_position, reseller_id, READ_WAIT_MS)
    return list_tickets(
        conn,
        None if reseller_id is None else [reseller_id],
        {"isp_queue": True, "open_only": open_only},
        min(limit, s.config.page_size_max),
        offset,
    )


@router.get("/settings", response_model=SettingsOut, responses=PROBLEMS)
def settings(
    context: Context, s: Services, reseller_id: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    return desk.settings(s.store, context, reseller_id)


@router.put("/settings", response_model=SettingsOut, responses=PROBLEMS)
def change_settings(
    command: desk.DeskSettings, context: Context, s: Services, if_match: IfMatch
) -> Response:
    """Replace the desk's settings: routing rules (first match by category and/or priority to
    a team member or queue), SLA targets per priority in business minutes, the business
    calendar with its holidays, auto-escalation on a breach, reopen and auto-close days."""
    return command_response(desk.change_settings(s.store, context, command, if_match))


@router.get("/categories", response_model=CategoriesOut, responses=PROBLEMS)
def categories(
    context: Context, s: Services, reseller_id: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    """Ticket categories: seed §9.1's five plus those the master ISP added (the same for
    every reseller)."""
    return desk.categories_view(s.store, context, reseller_id)


@router.post(
    "/categories",
    status_code=201,
    response_model=CategoriesOut,
    responses={**PROBLEMS, 201: {"model": CategoriesOut}},
)
def add_category(command: desk.AddCategory, context: Context, s: Services) -> Response:
    """The master ISP adds a ticket category (every reseller gets it)."""
    return command_response(desk.add_category(s.store, context, command))


@router.get("/metrics", response_model=MetricsOut, responses=PROBLEMS)
def metrics(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Open tickets by status and priority, first-response and resolution times (median, p90),
    SLA attainment, per team member."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.TICKET_MANAGE)
    wait_until(s, conn, SupportProjector, wait_for_position, number, READ_WAIT_MS)
    return support_metrics(conn, [number])


MAX_REPORT_DAYS = 732


@router.get(
    "/report",
    responses=downloads(
        "text/csv",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
)
def report(
    context: Context,
    s: Services,
    conn: ReadConnection,
    date_from: date,
    date_to: date,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    format: Literal["json", "csv", "xlsx", "pdf"] = "json",
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The support performance report by priority for tickets opened in the range (at most
    two years): JSON, or CSV, XLSX and PDF like the other reports."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.REPORT_VIEW)
    if date_from > date_to:
        raise Unprocessable("date_from must not be after date_to", field="date_from")
    if (date_to - date_from).days > MAX_REPORT_DAYS:
        raise Unprocessable(f"a report covers at most {MAX_REPORT_DAYS} days", field="date_to")
    wait_until(s, conn, SupportProjector, wait_for_position, number, READ_WAIT_MS)
    info = reseller_info(conn, number)
    if info is None:
        head = int(s.store.recorder.max_notification_id() or 0)
        wait_until(s, conn, ReportingProjector, head, number, READ_WAIT_MS)
        info = reseller_info(conn, number)
    if info is None:
        raise NotFound("reseller not found (not projected yet?)", field="reseller_id")
    built = support_report(conn, info, date_from, date_to)
    if format == "json":
        return Response(json.dumps(built.to_json()), media_type="application/json")
    file = export(built, format, context.received_at)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


class CommunicationOut(BaseModel):
    at: str
    channel: Literal["ticket"]
    ticket_id: str
    ticket_number: str
    subject: str
    message_id: str
    direction: Literal["inbound", "outbound"]
    author_kind: Literal["customer", "support", "isp"]
    body: str
    attachments: int


@router.get("/communications", response_model=list[CommunicationOut], responses=PROBLEMS)
def communication_log(
    customer_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    limit: Annotated[int, Query(ge=1)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """A customer's communication log (seed §3.4): the customer-visible messages of all their
    tickets, inbound and outbound, oldest first (notifications are not recorded yet)."""
    customer = load_customer_in_scope(s.store, context, parse_uuid(customer_id, "customer"))
    context.principal.require(Permission.TICKET_MANAGE)
    wait_until(s, conn, SupportProjector, wait_for_position, customer.reseller_number, READ_WAIT_MS)
    return communications(conn, str(customer.id), min(limit, s.config.page_size_max), offset)
