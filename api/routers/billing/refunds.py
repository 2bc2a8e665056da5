"""Refunds of a customer's credit."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.billing.schemas import RefundOut
from api.schemas import PROBLEMS
from commands.billing.corrections import Refund, issue_refund

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/customers/{customer_id}/refunds",
    status_code=201,
    response_model=RefundOut,
    responses=PROBLEMS,
)
def refund(customer_id: str, command: Refund, context: Context, s: Services) -> Response:
    """Pay customer credit back out (never more than the credit on hand)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(issue_refund(s.store, context, uid, command))
