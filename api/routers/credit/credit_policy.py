"""The credit account's policy: thresholds, actions at 100%, payment terms."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS, CreditAccountOut
from commands.credit import credit_account as credit

# The "billing" tag is kept from the router these routes came from: generated clients group by it.
router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.patch(
    "/resellers/{reseller_id}/credit-account/policy",
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def credit_policy(
    reseller_id: int, command: credit.ChangeCreditPolicy, context: Context, s: Services
) -> Response:
    """Thresholds (warning 50-95%, restriction 75-99%), actions at 100%, payment terms."""
    return command_response(credit.change_credit_policy(s.store, context, reseller_id, command))
