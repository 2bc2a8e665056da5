"""Seed §5.3: the statement of a payout cycle: carried forward, records, clawbacks, total."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from api.deps import READ_WAIT_MS, Context, ExactJSONRoute, ReadConnection, Services, wait_until
from api.routers.commissions.params import ResellerFilter, Wait
from api.schemas import PROBLEMS
from domain.access.roles import Permission
from projections.commissions.payouts import PayoutsProjector, statement

router = APIRouter(prefix="/reseller/api", tags=["payouts"], route_class=ExactJSONRoute)


@router.get("/commissions/statements", responses=PROBLEMS)
def commission_statement(
    context: Context,
    s: Services,
    conn: ReadConnection,
    period: Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])],
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """The statement of the cycle paid in `period` (YYYY-MM): opening carried-forward, records,
    clawbacks, total, and whether it was paid or carried forward."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, PayoutsProjector, wait_for_position, number, READ_WAIT_MS)
    found = statement(conn, number, period)
    if found is None:
        raise HTTPException(404, f"no statement for {period}")
    return found
