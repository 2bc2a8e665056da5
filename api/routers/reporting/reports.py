"""Reports by kind (seed §10) with CSV/XLSX/PDF exports. Everything here reads projections;
nothing reads the event store."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query

from api.deps import Context, ExactJSONRoute, ReadConnection, Services
from api.routers.reporting.shared import (
    FILE_MEDIA_TYPES,
    ResellerFilter,
    Wait,
    file_response,
    report_range,
    reporting_reseller,
)
from api.schemas import downloads
from commands.models import ApiDate
from domain.reporting.schedule import GROUPINGS
from projections.reporting.exports import MEDIA_TYPES, export
from projections.reporting.report_builders import build_report
from projections.reporting.report_model import ReportQuery

router = APIRouter(prefix="/reseller/api", tags=["reports"], route_class=ExactJSONRoute)
Kind = Literal[
    "revenue", "acquisition", "churn", "commissions", "service-utilization", "financial-health"
]
Format = Literal["json", "csv", "xlsx", "pdf"]
ACCEPTED = {media: name for name, media in MEDIA_TYPES.items()}


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
    info = reporting_reseller(s, conn, context.principal, reseller_id, wait_for_position)
    grouping = group_by or GROUPINGS[kind][0]
    granularity = grouping if grouping in ("month", "quarter", "year") else "month"
    start, end = report_range(context.received_at.date(), granularity, date_from, date_to)
    report = build_report(
        conn, info, ReportQuery(kind, info.reseller_id, start, end, grouping, service, status)
    )
    chosen = _negotiate(file_format, accept)
    if chosen == "json":
        return report.to_json()
    made = export(report, chosen, context.received_at)
    return file_response(made.content, made.media_type, made.filename)
