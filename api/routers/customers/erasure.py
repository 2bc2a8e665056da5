"""Erasure of personal data: POST /reseller/api/customers/{customer_id}/erase (master ISP)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.schemas import PROBLEMS, ErasedCustomerOut
from commands.customers.erasure import EraseCustomer, SubjectKeys, erase_customer

router = APIRouter(prefix="/reseller/api/customers", tags=["privacy"], route_class=ExactJSONRoute)


@router.post("/{customer_id}/erase", response_model=ErasedCustomerOut, responses=PROBLEMS)
def erase(
    customer_id: str,
    context: Context,
    services: Services,
    command: Annotated[EraseCustomer | None, Body()] = None,
) -> Response:
    uid = parse_uuid(customer_id, "customer")
    keys = getattr(services.store, "personal_data", None)
    if not isinstance(keys, SubjectKeys):
        raise RuntimeError("the store has no personal-data keyring")
    return command_response(
        erase_customer(services.store, keys, context, uid, command or EraseCustomer())
    )
