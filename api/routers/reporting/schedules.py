"""Report schedules: the worker makes one file per completed period of each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.deps import Context, ExactJSONRoute, ReadConnection, Services, command_response, parse_uuid
from api.routers.reporting.shared import ResellerFilter, Wait, reporting_reseller
from api.schemas import PROBLEMS
from commands.reporting.schedules import ScheduleReport, cancel_schedule, schedule_report
from projections.reporting.schedules import list_schedules

router = APIRouter(prefix="/reseller/api", tags=["reports"], route_class=ExactJSONRoute)


class ScheduleOut(BaseModel):
    """A report schedule, as scheduling or cancelling it answers."""

    schedule_id: str
    reseller_id: int
    kind: str
    format: str
    frequency: str
    group_by: str | None
    service: str | None
    status: str | None
    active: bool


@router.get("/reports/schedules", responses=PROBLEMS)
def read_schedules(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> list[dict[str, Any]]:
    """The reseller's scheduled reports."""
    info = reporting_reseller(s, conn, context.principal, reseller_id, wait_for_position)
    return list_schedules(conn, info.reseller_id)


@router.post("/reports/schedules", status_code=201, response_model=ScheduleOut, responses=PROBLEMS)
def create_schedule(command: ScheduleReport, context: Context, s: Services) -> Response:
    """Schedule a report: `kind`, `format` (csv, xlsx, pdf), `frequency` (monthly, quarterly,
    annually), optional `group_by`, `service`, `status`. The worker makes one file per
    completed period."""
    return command_response(schedule_report(s.store, context, command))


@router.delete("/reports/schedules/{schedule_id}", response_model=ScheduleOut, responses=PROBLEMS)
def delete_schedule(schedule_id: str, context: Context, s: Services) -> Response:
    """Cancel a schedule; files already generated stay."""
    return command_response(
        cancel_schedule(s.store, context, parse_uuid(schedule_id, "report schedule"))
    )
