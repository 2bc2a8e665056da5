"""Emergency credit: requested by the reseller, granted by the master ISP for 48 hours."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS, CreditAccountOut
from commands.credit import credit_account as credit

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/resellers/{reseller_id}/credit-account/emergency-credit",
    status_code=201,
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def emergency_request(
    reseller_id: int, command: credit.RequestEmergencyCredit, context: Context, s: Services
) -> Response:
    """Ask for emergency credit: up to 25% of the limit, for 48 hours once granted."""
    return command_response(credit.request_emergency_credit(s.store, context, reseller_id, command))


@router.post(
    "/resellers/{reseller_id}/credit-account/emergency-credit/{request_id}/grant",
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def emergency_grant(reseller_id: int, request_id: str, context: Context, s: Services) -> Response:
    """Grant a pending request (master ISP); it expires 48 hours later by itself."""
    return command_response(
        credit.grant_emergency_credit(s.store, context, reseller_id, request_id)
    )
