"""A customer's billing cycle: the day of the month its periods start on."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.billing.schemas import BillingCycleOut
from api.schemas import PROBLEMS
from commands.billing.cycles import SetBillingCycle, set_billing_cycle

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.put(
    "/customers/{customer_id}/billing-cycle", response_model=BillingCycleOut, responses=PROBLEMS
)
def billing_cycle(
    customer_id: str, command: SetBillingCycle, context: Context, s: Services
) -> Response:
    """Monthly billing periods starting on a day of the month (1-28)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(set_billing_cycle(s.store, context, uid, command))
