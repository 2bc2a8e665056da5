"""Seed §5.3: the reseller's commission payout schedule."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.commissions.params import ResellerFilter
from api.routers.commissions.schemas import PayoutScheduleOut
from api.schemas import PROBLEMS
from commands.commissions import payouts

router = APIRouter(prefix="/reseller/api", tags=["payouts"], route_class=ExactJSONRoute)


@router.get(
    "/commissions/payout-schedule",
    response_model=None,
    responses={**PROBLEMS, 200: {"model": PayoutScheduleOut}},
)
def payout_schedule(
    context: Context, s: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """The reseller's payout schedule (the defaults until one is set) and what it carries."""
    return payouts.get_payout_schedule(s.store, context, reseller_id)


@router.put("/commissions/payout-schedule", response_model=PayoutScheduleOut, responses=PROBLEMS)
def set_payout_schedule(
    command: payouts.SetPayoutSchedule,
    context: Context,
    s: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Set the schedule: frequency, processing_day (1-28), minimum_threshold (50-1000),
    payment_method, payment_currency, net_against_credit (reseller admins or the ISP)."""
    return command_response(payouts.set_payout_schedule(s.store, context, reseller_id, command))
