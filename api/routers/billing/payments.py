"""A customer's payments, and the declined attempts."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.billing.schemas import FailedPaymentOut, PaymentOut
from api.schemas import PROBLEMS
from commands.billing.payments import (
    CustomerPayment,
    FailedPayment,
    record_customer_payment,
    record_failed_payment,
)

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/customers/{customer_id}/payments",
    status_code=201,
    response_model=PaymentOut,
    responses=PROBLEMS,
)
def pay(customer_id: str, command: CustomerPayment, context: Context, s: Services) -> Response:
    """A customer payment: it settles the oldest open invoices first; the rest is credit."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(record_customer_payment(s.store, context, uid, command))


@router.post(
    "/customers/{customer_id}/payments/failed", response_model=FailedPaymentOut, responses=PROBLEMS
)
def failed_payment(
    customer_id: str, command: FailedPayment, context: Context, s: Services
) -> Response:
    """A declined attempt: recorded, nothing moves; the response says when to retry."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(record_failed_payment(s.store, context, uid, command))
