"""Seed §5.3: commission payouts: the history and each payout with its receipt."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    parse_uuid,
    wait_until,
)
from api.routers.commissions.params import ResellerFilter, Wait
from api.schemas import PROBLEMS
from domain.access.roles import Permission
from projections.commissions.payouts import PayoutsProjector, get_payout, list_payouts

router = APIRouter(prefix="/reseller/api", tags=["payouts"], route_class=ExactJSONRoute)


@router.get("/commissions/payouts", responses=PROBLEMS)
def payout_history(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Wait = None,
) -> list[dict[str, Any]]:
    """The reseller's payouts, newest cycle first."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, PayoutsProjector, wait_for_position, number, READ_WAIT_MS)
    return list_payouts(conn, number, min(limit, s.config.page_size_max), offset)


@router.get("/commissions/payouts/{payout_id}", responses=PROBLEMS)
def payout(
    payout_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """One payout with its figures, the records it paid and its receipt."""
    uid = parse_uuid(payout_id, "payout")
    if wait_for_position is not None:
        wait_until(s, conn, PayoutsProjector, wait_for_position, None, READ_WAIT_MS)
    found = get_payout(conn, uid)
    if found is None or not context.principal.sees_reseller(found["reseller_id"]):
        raise HTTPException(404, "payout not found")
    context.principal.require(Permission.BILLING_VIEW)
    return found
