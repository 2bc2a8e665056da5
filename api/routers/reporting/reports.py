"""Dashboards (seed §2.1/§2.2, §5.2), reports with CSV/XLSX/PDF exports (§10) and scheduled
reports. Everything here reads projections; nothing reads the event store."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response

from api.deps import (
    READ_WAIT_MS,
    ApiServices,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
    wait_until,
)
from api.schemas import PROBLEMS, downloads
from commands.errors import NotFound
from commands.models import ApiDate
from commands.principal import Principal
from commands.reporting.schedules import ScheduleReport, cancel_schedule, schedule_report
from domain.access.roles import Permission
from domain.reporting.schedule import GROUPINGS
from projections.access.activity import ActivityProjector, recent_actions
from projections.base import Projector
from projections.credit.credit_accounts import CreditAccountsProjector, get_credit_account
from projections.reporting.dashboards import RECENT_ACTIVITY, dashboard, financial_dashboard
from projections.reporting.exports import MEDIA_TYPES, export
from projections.reporting.figures import ReportError
from projections.reporting.metrics import ResellerInfo, reseller_info
from projections.reporting.periods import default_range
from projections.reporting.read_model import ReportingProjector
from projections.reporting.report_builders import build_report
from projections.reporting.report_files import get_file, list_files
from projections.reporting.report_model import ReportQuery
from projections.reporting.schedules import list_schedules
from projections.support.projector import SupportProjector
from projections.support.queries import dashboard_block as support_dashboard_block

router = APIRouter(prefix="/reseller/api", tags=["reports"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]
Kind = Literal[
    "revenue", "acquisition", "churn", "commissions", "service-utilization", "financial-health"
]
Format = Literal["json", "csv", "xlsx", "pdf"]
ACCEPTED = {media: name for name, media in MEDIA_TYPES.items()}
FILE_MEDIA_TYPES = tuple(media for name, media in MEDIA_TYPES.items() if name != "json")


def _reseller(
    services: ApiServices,
    conn: ReadConnection,
    principal: Principal,
    reseller_id: int | None,
    wait_for_position: int | None,
    also_read: tuple[type[Projector], ...] = (),
) -> ResellerInfo:
    number = principal.reseller_in_scope(reseller_id)
    principal.require(Permission.REPORT_VIEW)
    projectors: tuple[type[Projector], ...] = (ReportingProjector, *also_read)
    for projector in projectors:
        wait_until(services, conn, projector, wait_for_position, number, READ_WAIT_MS)
    info = reseller_info(conn, number)
    if info is None:
        # A reseller created a moment ago: give the projection a bounded chance to catch up.
        head = int(services.store.recorder.max_notification_id() or 0)
        wait_until(services, conn, ReportingProjector, head, number, READ_WAIT_MS)
        info = reseller_info(conn, number)
    if info is None:
        raise NotFound("reseller not found (not projected yet?)", field="reseller_id")
    return info


@router.get("/dashboard", responses=PROBLEMS)
def read_dashboard(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """Seed §2.1/§2.2 KPIs: customers by status and growth, monthly revenue and commission
    with trends, service distribution, credit, customer allocation, outstanding payments,
    recent activity, and the support desk's open tickets and SLA figures."""
    info = _reseller(
        s,
        conn,
        context.principal,
        reseller_id,
        wait_for_position,
        (CreditAccountsProjector, ActivityProjector, SupportProjector),
    )
    today = context.received_at.date()
    board = dashboard(
        conn,
        info,
        today,
        get_credit_account(conn, info.reseller_id),
        recent_actions(conn, info.reseller_id, RECENT_ACTIVITY),
    )
    board["support"] = support_dashboard_block(conn, info.reseller_id)
    return board


@router.get("/dashboard/financial", responses=PROBLEMS)
def read_financial_dashboard(
    context: Context,
    s: Services,
    conn: ReadConnection,
    granularity: Literal["month", "quarter", "year"] = "month",
    date_from: ApiDate | None = None,
    date_to: ApiDate | None = None,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """Seed §5.2 per month, quarter or year: revenue, commission breakdown, collection rate,
    outstanding receivables, ARPU, churn and its revenue impact, customer lifetime value."""
    info = _reseller(s, conn, context.principal, reseller_id, wait_for_position)
    start, end = _range(context.received_at.date(), granularity, date_from, date_to)
    return financial_dashboard(conn, info, granularity, start, end)


def _range(
    today: date, granularity: str, date_from: date | None, date_to: date | None
) -> tuple[date, date]:
    default_from, default_to = default_range(date_to or today, granularity)
    start, end = date_from or default_from, date_to or default_to
    if start > end:
        raise ReportError("date_from must not be after date_to", field="date_from")
    return start, end


@router.get("/reports/schedules", responses=PROBLEMS)
def read_schedules(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> list[dict[str, Any]]:
    """The reseller's scheduled reports."""
    info = _reseller(s, conn, context.principal, reseller_id, wait_for_position)
    return list_schedules(conn, info.reseller_id)


@router.post("/reports/schedules", status_code=201, responses=PROBLEMS)
def create_schedule(command: ScheduleReport, context: Context, s: Services) -> Response:
    """Schedule a report: `kind`, `format` (csv, xlsx, pdf), `frequency` (monthly, quarterly,
    annually), optional `group_by`, `service`, `status`. The worker makes one file per
    completed period."""
    return command_response(schedule_report(s.store, context, command))


@router.delete("/reports/schedules/{schedule_id}", responses=PROBLEMS)
def delete_schedule(schedule_id: str, context: Context, s: Services) -> Response:
    """Cancel a schedule; files already generated stay."""
    return command_response(
        cancel_schedule(s.store, context, parse_uuid(schedule_id, "report schedule"))
    )


@router.get("/reports/files", responses=PROBLEMS)
def read_files(
    context: Context,
    s: Services,
    conn: ReadConnection,
    schedule_id: UUID | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Generated report files (without their content)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.REPORT_VIEW)
    limit = min(limit, s.config.page_size_max)
    target = None if schedule_id is None else str(schedule_id)
    return list_files(conn, number, target, limit, offset)


@router.get(
    "/reports/files/{file_id}",
    responses=downloads(*FILE_MEDIA_TYPES),
)
def download_file(file_id: str, context: Context, conn: ReadConnection) -> Response:
    """Download a generated report file."""
    found = get_file(conn, str(parse_uuid(file_id, "report file")))
    if found is None or not context.principal.sees_reseller(found["reseller_id"]):
        raise NotFound("report file not found")
    context.principal.require(Permission.REPORT_VIEW)
    return _file(found["content"], found["media_type"], found["filename"])


def _file(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _negotiate(requested: str | None, accept: str | None) -> str:
    if requested is not None:
        return requested
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ACCEPTED:
            return ACCEPTED[media]
    return "json"


@router.get(
    "/reports/{kind}",
    responses=downloads(*FILE_MEDIA_TYPES),
)
def read_report(
    kind: Kind,
    context: Context,
    s: Services,
    conn: ReadConnection,
    date_from: ApiDate | None = None,
    date_to: ApiDate | None = None,
    group_by: Annotated[str | None, Query(max_length=20)] = None,
    service: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    file_format: Annotated[Format | None, Query(alias="format")] = None,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """A report (seed §10): filters `date_from`/`date_to` (default: the last 12 months),
    `service`, `status`; `group_by` month, quarter, year, service or type (per report);
    `format` json, csv, xlsx or pdf (or the Accept header)."""
    info = _reseller(s, conn, context.principal, reseller_id, wait_for_position)
    grouping = group_by or GROUPINGS[kind][0]
    granularity = grouping if grouping in ("month", "quarter", "year") else "month"
    start, end = _range(context.received_at.date(), granularity, date_from, date_to)
    report = build_report(
        conn, info, ReportQuery(kind, info.reseller_id, start, end, grouping, service, status)
    )
    chosen = _negotiate(file_format, accept)
    if chosen == "json":
        return report.to_json()
    made = export(report, chosen, context.received_at)
    return _file(made.content, made.media_type, made.filename)
