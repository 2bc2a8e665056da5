"""Seed §5.3: exchange rates (master ISP), which payouts in another currency convert by."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.commissions.schemas import FxRateOut
from api.schemas import PROBLEMS
from commands.commissions import payouts

router = APIRouter(prefix="/reseller/api", tags=["payouts"], route_class=ExactJSONRoute)


@router.post("/fx-rates", status_code=201, response_model=FxRateOut, responses=PROBLEMS)
def record_fx_rate(command: payouts.RecordFxRate, context: Context, s: Services) -> Response:
    """Record an exchange rate (master ISP): 1 `base` = `rate` `quote`, valid from `as_of`."""
    return command_response(payouts.record_fx_rate(s.store, context, command))
