"""Chargebacks: the payer's bank took a payment back."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.billing.schemas import ChargebackOut
from api.schemas import PROBLEMS
from commands.billing.corrections import Chargeback, record_chargeback

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/customers/{customer_id}/chargebacks",
    status_code=201,
    response_model=ChargebackOut,
    responses=PROBLEMS,
)
def chargeback(customer_id: str, command: Chargeback, context: Context, s: Services) -> Response:
    """The payer's bank took a payment back; its commissions are voided inside the holding
    period and clawed back after it."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(record_chargeback(s.store, context, uid, command))
