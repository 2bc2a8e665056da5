"""Payment plans: a customer's open invoices spread over installments."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.billing.schemas import PaymentPlanOut
from api.schemas import PROBLEMS
from commands.billing.payment_plans import PaymentPlan, agree_payment_plan

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/customers/{customer_id}/payment-plans",
    status_code=201,
    response_model=PaymentPlanOut,
    responses=PROBLEMS,
)
def payment_plan(customer_id: str, command: PaymentPlan, context: Context, s: Services) -> Response:
    """Spread open invoices over installments; the account shows each as paid, due or overdue."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(agree_payment_plan(s.store, context, uid, command))
