"""A customer's communication log: the customer-visible messages of their tickets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    parse_uuid,
    wait_until,
)
from api.schemas import PROBLEMS
from commands.customers.customers import load_customer_in_scope
from domain.access.roles import Permission
from projections.support.projector import SupportProjector
from projections.support.queries import communications

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


class CommunicationOut(BaseModel):
    at: str
    channel: Literal["ticket"]
    ticket_id: str
    ticket_number: str
    subject: str
    message_id: str
    direction: Literal["inbound", "outbound"]
    author_kind: Literal["customer", "support", "isp"]
    body: str
    attachments: int


@router.get("/communications", response_model=list[CommunicationOut], responses=PROBLEMS)
def communication_log(
    customer_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    limit: Annotated[int, Query(ge=1)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """A customer's communication log (seed §3.4): the customer-visible messages of all their
    tickets, inbound and outbound, oldest first (notifications are not recorded yet)."""
    customer = load_customer_in_scope(s.store, context, parse_uuid(customer_id, "customer"))
    context.principal.require(Permission.TICKET_MANAGE)
    wait_until(s, conn, SupportProjector, wait_for_position, customer.reseller_number, READ_WAIT_MS)
    return communications(conn, str(customer.id), min(limit, s.config.page_size_max), offset)
