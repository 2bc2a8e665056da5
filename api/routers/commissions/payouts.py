"""Seed §5.3: commission payouts: the payout schedule, the tax profile, FX rates (ISP), payout
history with receipts, and the cycle statements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

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
from api.schemas import PROBLEMS
from commands.commissions import payouts
from domain.access.roles import Permission
from projections.commissions.payouts import PayoutsProjector, get_payout, list_payouts, statement

router = APIRouter(prefix="/reseller/api", tags=["payouts"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]


@router.get("/commissions/payout-schedule", responses=PROBLEMS)
def payout_schedule(
    context: Context, s: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """The reseller's payout schedule (the defaults until one is set) and what it carries."""
    return payouts.get_payout_schedule(s.store, context, reseller_id)


@router.put("/commissions/payout-schedule", responses=PROBLEMS)
def set_payout_schedule(
    command: payouts.SetPayoutSchedule,
    context: Context,
    s: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Set the schedule: frequency, processing_day (1-28), minimum_threshold (50-1000),
    payment_method, payment_currency, net_against_credit (reseller admins or the ISP)."""
    return command_response(payouts.set_payout_schedule(s.store, context, reseller_id, command))


@router.get("/tax-profile", responses=PROBLEMS)
def tax_profile(
    context: Context, s: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """The reseller's tax profile (the TIN shows its last four digits only)."""
    return payouts.get_tax_profile(s.store, context, reseller_id)


@router.put("/tax-profile", responses=PROBLEMS)
def set_tax_profile(
    command: payouts.SetTaxProfile,
    context: Context,
    s: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Legal name, address, country, VAT id, US TIN; `backup_withholding` is the ISP's to set."""
    return command_response(payouts.set_tax_profile(s.store, context, reseller_id, command))


@router.post("/fx-rates", status_code=201, responses=PROBLEMS)
def record_fx_rate(command: payouts.RecordFxRate, context: Context, s: Services) -> Response:
    """Record an exchange rate (master ISP): 1 `base` = `rate` `quote`, valid from `as_of`."""
    return command_response(payouts.record_fx_rate(s.store, context, command))


@router.get("/commissions/payouts", responses=PROBLEMS)
def payout_history(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Wait = None,
) -> list[dict[str, Any]]:
    """The reseller's payouts, newest cycle first."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, PayoutsProjector, wait_for_position, number, READ_WAIT_MS)
    return list_payouts(conn, number, min(limit, s.config.page_size_max), offset)


@router.get("/commissions/payouts/{payout_id}", responses=PROBLEMS)
def payout(
    payout_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """One payout with its figures, the records it paid and its receipt."""
    uid = parse_uuid(payout_id, "payout")
    if wait_for_position is not None:
        wait_until(s, conn, PayoutsProjector, wait_for_position, None, READ_WAIT_MS)
    found = get_payout(conn, uid)
    if found is None or not context.principal.sees_reseller(found["reseller_id"]):
        raise HTTPException(404, "payout not found")
    context.principal.require(Permission.BILLING_VIEW)
    return found


@router.get("/commissions/statements", responses=PROBLEMS)
def commission_statement(
    context: Context,
    s: Services,
    conn: ReadConnection,
    period: Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])],
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """The statement of the cycle paid in `period` (YYYY-MM): opening carried-forward, records,
    clawbacks, total, and whether it was paid or carried forward."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, PayoutsProjector, wait_for_position, number, READ_WAIT_MS)
    found = statement(conn, number, period)
    if found is None:
        raise HTTPException(404, f"no statement for {period}")
    return found
