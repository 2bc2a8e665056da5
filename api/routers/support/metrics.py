"""The support metrics: open tickets, response and resolution times, SLA attainment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    wait_until,
)
from api.schemas import PROBLEMS
from domain.access.roles import Permission
from projections.support.projector import SupportProjector
from projections.support.queries import support_metrics

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


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
