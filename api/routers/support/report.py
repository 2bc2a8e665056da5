"""The support performance report by priority (JSON, CSV, XLSX, PDF)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    wait_until,
)
from api.schemas import downloads
from commands.errors import NotFound, Unprocessable
from domain.access.roles import Permission
from projections.reporting.exports import export
from projections.reporting.metrics import reseller_info
from projections.reporting.read_model import ReportingProjector
from projections.support.projector import SupportProjector
from projections.support.report import support_report

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


MAX_REPORT_DAYS = 732


class ReportOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportFiltersOut(ReportOut):
    date_from: str
    date_to: str
    service: str | None
    status: str | None


class ReportColumnOut(ReportOut):
    key: str
    label: str
    type: str
    """'text', 'int', 'money' or 'ratio'."""


class SupportCountsOut(ReportOut):
    opened: int
    resolved: int
    open: int
    first_response_breached: int
    resolution_breached: int
    first_response_median_s: str | None
    """Seconds (a decimal string), by nearest rank; null in the totals."""
    resolution_median_s: str | None


class SupportRowOut(SupportCountsOut):
    priority: str


class SupportReportOut(ReportOut):
    """`format=json`: one row per priority, most urgent first."""

    report: str
    title: str
    reseller_id: int
    reseller_name: str
    currency: str
    filters: ReportFiltersOut
    group_by: str
    columns: list[ReportColumnOut]
    rows: list[SupportRowOut]
    totals: SupportCountsOut
    notes: list[str]


REPORT_FILES = downloads(
    "text/csv",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


@router.get(
    "/report", responses=REPORT_FILES | {200: {**REPORT_FILES[200], "model": SupportReportOut}}
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
