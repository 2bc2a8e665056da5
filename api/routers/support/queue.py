"""The master ISP's escalation queue: tickets escalated to level 3 or emergency."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    wait_until,
)
from api.routers.support.tickets import TicketPage
from api.schemas import PROBLEMS
from commands.errors import Forbidden
from domain.access.roles import Permission
from projections.support.projector import SupportProjector
from projections.support.queries import list_tickets

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


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
