"""Credit notes issued to a customer."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.billing.schemas import CreditNoteOut
from api.schemas import PROBLEMS
from commands.billing.corrections import CreditNote, issue_credit_note

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.post(
    "/customers/{customer_id}/credit-notes",
    status_code=201,
    response_model=CreditNoteOut,
    responses=PROBLEMS,
)
def credit_note(customer_id: str, command: CreditNote, context: Context, s: Services) -> Response:
    uid = parse_uuid(customer_id, "customer")
    return command_response(issue_credit_note(s.store, context, uid, command))
