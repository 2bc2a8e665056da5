"""Billing runs: every customer of a reseller billed as background jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Context, ExactJSONRoute, Services
from api.schemas import PROBLEMS
from commands.billing.cycles import BillingRun
from commands.billing.invoicing import check_period
from commands.errors import Unprocessable
from domain.access.roles import Permission

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.post("/billing/runs", status_code=202, responses=PROBLEMS)
def billing_run(
    command: BillingRun, context: Context, s: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """Bill every customer of the reseller, as background jobs: for one period, or (`on`) for
    each customer's own billing-cycle period containing that date."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_MANAGE)
    period = command.period()
    if s.jobs is None:
        raise Unprocessable("no job queue is configured", field="period_start")
    if period is None:
        on = command.on or context.received_at.date()  # period() ensured `on` is given
        job = s.jobs.billing_cycle_run(number, on)
        return {"reseller_id": number, "on": on.isoformat(), "job_id": job}
    check_period(period)
    job = s.jobs.billing_run(number, period.period_start, period.period_end)
    return {
        "reseller_id": number,
        "period_start": period.period_start.isoformat(),
        "period_end": period.period_end.isoformat(),
        "job_id": job,
    }
