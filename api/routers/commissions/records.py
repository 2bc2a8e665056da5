"""Commission records (seed §5.1): the list, and approving one for payout."""

from __future__ import annotations

import uuid
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
from api.routers.commissions.plans import period_bounds
from api.routers.commissions.schemas import CommissionRecordOut
from api.schemas import PROBLEMS
from commands.commissions import accrual as commissions_commands
from commands.errors import Unprocessable
from commands.models import ApiDate
from domain.access.roles import Permission
from projections.commissions.records import CommissionsProjector, list_commissions

# The "billing" tag is kept from the router these routes came from: generated clients group by it.
router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.get("/commissions", responses=PROBLEMS)
def commissions(
    context: Context,
    s: Services,
    conn: ReadConnection,
    period: Annotated[str | None, Query(max_length=7, examples=["2024-01"])] = None,
    period_start: ApiDate | None = None,
    period_end: ApiDate | None = None,
    commission_type: Literal["setup", "recurring", "usage", "retention", "performance", "interest"]
    | None = Query(default=None, alias="type"),
    status: Literal["pending", "calculated", "approved", "disputed", "adjusted", "paid", "voided"]
    | None = None,
    customer_id: str | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """Commission records (seed §5.1 fields); filters: period (`YYYY-MM`, or `period_start`
    and `period_end`), type, status, customer."""
    start, end = period_bounds(period, period_start, period_end)
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, CommissionsProjector, wait_for_position, number, READ_WAIT_MS)
    target = None
    if customer_id is not None:
        try:
            target = str(uuid.UUID(customer_id))
        except ValueError:
            raise Unprocessable("customer_id must be a customer id", field="customer_id") from None
    limit = min(limit, s.config.page_size_max)
    return list_commissions(
        conn, number, start, end, commission_type, status, target, limit, offset
    )


@router.post(
    "/commissions/{commission_id}/approve", response_model=CommissionRecordOut, responses=PROBLEMS
)
def approve_commission(commission_id: str, context: Context, s: Services) -> Response:
    """Approve a cleared commission for payout (master ISP)."""
    uid = parse_uuid(commission_id, "commission")
    return command_response(commissions_commands.approve_commission(s.store, context, uid))
