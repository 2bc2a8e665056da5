"""Limit increases: requested by the reseller, approved or rejected by the master ISP."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS, CreditAccountOut
from commands.credit import credit_account as credit

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/resellers/{reseller_id}/credit-account/limit-increases",
    status_code=201,
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def increase_request(
    reseller_id: int, command: credit.RequestLimitIncrease, context: Context, s: Services
) -> Response:
    return command_response(credit.request_limit_increase(s.store, context, reseller_id, command))


@router.post(
    "/resellers/{reseller_id}/credit-account/limit-increases/{request_id}/decision",
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def increase_decision(
    reseller_id: int, request_id: str, command: credit.Decision, context: Context, s: Services
) -> Response:
    """Approve or reject a limit increase (master ISP)."""
    return command_response(
        credit.decide_limit_increase(s.store, context, reseller_id, request_id, command)
    )
