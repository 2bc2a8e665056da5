"""A customer's invoices: billing a period, the proforma, and the reseller's invoice list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
    wait_until,
)
from api.routers.billing.schemas import BilledInvoiceOut, NotBilledOut
from api.schemas import PROBLEMS
from commands.billing import invoicing
from commands.models import ApiDate
from domain.access.roles import Permission
from projections.billing import billing as billing_rows

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.post(
    "/customers/{customer_id}/invoices",
    status_code=201,
    response_model=BilledInvoiceOut,
    responses=PROBLEMS
    | {200: {"description": "Already billed, or nothing to bill", "model": NotBilledOut}},
)
def bill(
    customer_id: str, command: invoicing.BillingPeriod, context: Context, s: Services
) -> Response:
    """Bill a customer for a period now (once per period, whoever asks how often)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(invoicing.bill_customer(s.store, context, uid, command))


@router.get("/customers/{customer_id}/invoices/proforma", responses=PROBLEMS)
def proforma(
    customer_id: str, period_start: ApiDate, period_end: ApiDate, context: Context, s: Services
) -> dict[str, Any]:
    period = invoicing.BillingPeriod(period_start=period_start, period_end=period_end)
    return invoicing.proforma(s.store, context, parse_uuid(customer_id, "customer"), period)


@router.get("/invoices", responses=PROBLEMS)
def invoices(
    context: Context,
    s: Services,
    conn: ReadConnection,
    status: Literal["open", "settled"] | None = None,
    customer_id: str | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """The reseller's invoices, oldest first (filters: status, customer)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, billing_rows.BillingProjector, wait_for_position, number, READ_WAIT_MS)
    target = None if customer_id is None else str(parse_uuid(customer_id, "customer"))
    limit = min(limit, s.config.page_size_max)
    return billing_rows.list_invoices(conn, number, status, target, limit, offset)
