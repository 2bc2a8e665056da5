"""Seed §5.1: a reseller's commission calculation for a month (master ISP)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.commissions.schemas import CalculationOut
from api.schemas import PROBLEMS
from commands.commissions import periods as commission_periods
from commands.models import CommandModel

router = APIRouter(prefix="/reseller/api", tags=["commissions"], route_class=ExactJSONRoute)


class CalculatePeriod(CommandModel):
    reseller_id: int = Field(ge=1)
    period: str = Field(max_length=7, examples=["2024-01"], description="A month, YYYY-MM")


@router.post("/commissions/calculations", response_model=CalculationOut, responses=PROBLEMS)
def calculate(command: CalculatePeriod, context: Context, s: Services) -> Response:
    """Calculate a reseller's setup, usage, retention and performance commissions for a month
    (master ISP). Running it again creates nothing new."""
    return command_response(
        commission_periods.calculate_period(s.store, context, command.reseller_id, command.period)
    )
