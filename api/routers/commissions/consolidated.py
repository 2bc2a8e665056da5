"""Seed §11: the consolidated commission report of a reseller's subtree."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import READ_WAIT_MS, Context, ExactJSONRoute, ReadConnection, Services, wait_until
from api.routers.commissions.params import period_bounds
from api.schemas import PROBLEMS
from commands.commissions.consolidation import report_subtree
from commands.models import ApiDate
from projections.commissions.records import CommissionsProjector, consolidated

router = APIRouter(prefix="/reseller/api", tags=["commissions"], route_class=ExactJSONRoute)


@router.get("/commissions/consolidated", responses=PROBLEMS)
def consolidated_report(
    context: Context,
    s: Services,
    conn: ReadConnection,
    period: Annotated[str | None, Query(max_length=7, examples=["2024-01"])] = None,
    period_start: ApiDate | None = None,
    period_end: ApiDate | None = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Commission by type and status for the reseller and every descendant the caller may
    see, per reseller and in total."""
    start, end = period_bounds(period, period_start, period_end)
    numbers = report_subtree(s.store, context, reseller_id)
    wait_until(s, conn, CommissionsProjector, wait_for_position, numbers[0], READ_WAIT_MS)
    report = consolidated(conn, numbers, start, end)
    return {
        "reseller_id": numbers[0],
        "period_start": None if start is None else start.isoformat(),
        "period_end": None if end is None else end.isoformat(),
        **report,
    }
