"""Seed §5.1: commission plans (master ISP): versions effective from a date."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.commissions.params import period_bounds as period_bounds  # billing imports it
from api.routers.commissions.schemas import CommissionPlanOut, PlanVersionAddedOut
from api.schemas import PROBLEMS
from commands.commissions import plans as commission_plans

router = APIRouter(prefix="/reseller/api", tags=["commissions"], route_class=ExactJSONRoute)


@router.post(
    "/resellers/{reseller_id}/commission-plans",
    status_code=201,
    response_model=PlanVersionAddedOut,
    responses=PROBLEMS,
)
def set_plan(
    reseller_id: int,
    command: commission_plans.SetCommissionPlan,
    context: Context,
    s: Services,
) -> Response:
    """Add a plan version effective from a date (master ISP); earlier versions never change."""
    return command_response(
        commission_plans.set_commission_plan(s.store, context, reseller_id, command)
    )


@router.get(
    "/resellers/{reseller_id}/commission-plans",
    response_model=None,
    responses={**PROBLEMS, 200: {"model": CommissionPlanOut}},
)
def get_plan(reseller_id: int, context: Context, s: Services) -> dict[str, Any]:
    """The reseller's plan versions, oldest first."""
    return commission_plans.get_commission_plan(s.store, context, reseller_id)
