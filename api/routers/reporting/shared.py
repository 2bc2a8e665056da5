"""What the reporting routers share: the reseller a report is for, date ranges, file replies."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response

from api.deps import READ_WAIT_MS, ApiServices, ReadConnection, wait_until
from commands.errors import NotFound
from commands.principal import Principal
from domain.access.roles import Permission
from projections.base import Projector
from projections.reporting.exports import MEDIA_TYPES
from projections.reporting.figures import ReportError
from projections.reporting.metrics import ResellerInfo, reseller_info
from projections.reporting.periods import default_range
from projections.reporting.read_model import ReportingProjector

ResellerFilter = Annotated[int | None, Query(ge=1)]
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]
FILE_MEDIA_TYPES = tuple(media for name, media in MEDIA_TYPES.items() if name != "json")


def reporting_reseller(
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


def report_range(
    today: date, granularity: str, date_from: date | None, date_to: date | None
) -> tuple[date, date]:
    default_from, default_to = default_range(date_to or today, granularity)
    start, end = date_from or default_from, date_to or default_to
    if start > end:
        raise ReportError("date_from must not be after date_to", field="date_from")
    return start, end


def file_response(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
