"""Seed §5.1 and §11: commission plans (master ISP), period calculations and the consolidated
commission report of a reseller's subtree."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    wait_until,
)
from api.schemas import PROBLEMS
from commands.commissions import periods as commission_periods
from commands.commissions import plans as commission_plans
from commands.commissions.consolidation import report_subtree
from commands.errors import Unprocessable
from commands.models import ApiDate, CommandModel
from projections.commissions.records import CommissionsProjector, consolidated

router = APIRouter(prefix="/reseller/api", tags=["commissions"], route_class=ExactJSONRoute)


def period_bounds(
    period: str | None, period_start: date | None, period_end: date | None
) -> tuple[date | None, date | None]:
    """`period=YYYY-MM`, or `period_start`/`period_end`; not both."""
    if period is not None:
        if period_start is not None or period_end is not None:
            raise Unprocessable("give either period or period_start/period_end", field="period")
        return commission_periods.parse_period(period)
    if period_start is not None and period_end is not None and period_end < period_start:
        raise Unprocessable("period_end is before period_start", field="period_end")
    return period_start, period_end


@router.post("/resellers/{reseller_id}/commission-plans", status_code=201, responses=PROBLEMS)
def set_plan(
    reseller_id: int,
    command: commission_plans.SetCommissionPlan,
    context: Context,
    s: Services,
) -> Response:
    """Add a plan version effective from a date (master ISP); earlier versions never change."""
    return command_response(
        commission_plans.set_commission_plan(s.store, context, reseller_id, command)
    )


@router.get("/resellers/{reseller_id}/commission-plans", responses=PROBLEMS)
def get_plan(reseller_id: int, context: Context, s: Services) -> dict[str, Any]:
    """The reseller's plan versions, oldest first."""
    return commission_plans.get_commission_plan(s.store, context, reseller_id)


class CalculatePeriod(CommandModel):
    reseller_id: int = Field(ge=1)
    period: str = Field(max_length=7, examples=["2024-01"], description="A month, YYYY-MM")


@router.post("/commissions/calculations", responses=PROBLEMS)
def calculate(command: CalculatePeriod, context: Context, s: Services) -> Response:
    """Calculate a reseller's setup, usage, retention and performance commissions for a month
    (master ISP). Running it again creates nothing new."""
    return command_response(
        commission_periods.calculate_period(s.store, context, command.reseller_id, command.period)
    )


@router.get("/commissions/consolidated", responses=PROBLEMS)
def consolidated_report(
    context: Context,
    s: Services,
    conn: ReadConnection,
    period: Annotated[str | None, Query(max_length=7, examples=["2024-01"])] = None,
    period_start: ApiDate | None = None,
    period_end: ApiDate | None = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Commission by type and status for the reseller and every descendant the caller may
    see, per reseller and in total."""
    start, end = period_bounds(period, period_start, period_end)
    numbers = report_subtree(s.store, context, reseller_id)
    wait_until(s, conn, CommissionsProjector, wait_for_position, numbers[0], READ_WAIT_MS)
    report = consolidated(conn, numbers, start, end)
    return {
        "reseller_id": numbers[0],
        "period_start": None if start is None else start.isoformat(),
        "period_end": None if end is None else end.isoformat(),
        **report,
    }
