"""Report files the schedules generated: their list, and downloading one."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.deps import Context, ExactJSONRoute, ReadConnection, Services, parse_uuid
from api.routers.reporting.shared import FILE_MEDIA_TYPES, ResellerFilter, file_response
from api.schemas import PROBLEMS, downloads
from commands.errors import NotFound
from domain.access.roles import Permission
from projections.reporting.report_files import get_file, list_files

router = APIRouter(prefix="/reseller/api", tags=["reports"], route_class=ExactJSONRoute)


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
    response_class=Response,  # never JSON: it answers only the stored file
    responses=downloads(*FILE_MEDIA_TYPES, json=False),
)
def download_file(file_id: str, context: Context, conn: ReadConnection) -> Response:
    """Download a generated report file."""
    found = get_file(conn, str(parse_uuid(file_id, "report file")))
    if found is None or not context.principal.sees_reseller(found["reseller_id"]):
        raise NotFound("report file not found")
    context.principal.require(Permission.REPORT_VIEW)
    return file_response(found["content"], found["media_type"], found["filename"])
