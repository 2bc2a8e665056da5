"""Dashboards (seed §2.1/§2.2, §5.2): they read projections, never the event store."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from api.deps import Context, ExactJSONRoute, ReadConnection, Services
from api.routers.reporting.shared import ResellerFilter, Wait, report_range, reporting_reseller
from api.schemas import PROBLEMS
from commands.models import ApiDate
from projections.access.activity import ActivityProjector, recent_actions
from projections.credit.credit_accounts import CreditAccountsProjector, get_credit_account
from projections.reporting.dashboards import RECENT_ACTIVITY, dashboard, financial_dashboard
from projections.support.projector import SupportProjector
from projections.support.queries import dashboard_block as support_dashboard_block

router = APIRouter(prefix="/reseller/api", tags=["reports"], route_class=ExactJSONRoute)


@router.get("/dashboard", responses=PROBLEMS)
def read_dashboard(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """Seed §2.1/§2.2 KPIs: customers by status and growth, monthly revenue and commission
    with trends, service distribution, credit, customer allocation, outstanding payments,
    recent activity, and the support desk's open tickets and SLA figures."""
    info = reporting_reseller(
        s,
        conn,
        context.principal,
        reseller_id,
        wait_for_position,
        (CreditAccountsProjector, ActivityProjector, SupportProjector),
    )
    today = context.received_at.date()
    board = dashboard(
        conn,
        info,
        today,
        get_credit_account(conn, info.reseller_id),
        recent_actions(conn, info.reseller_id, RECENT_ACTIVITY),
    )
    board["support"] = support_dashboard_block(conn, info.reseller_id)
    return board


@router.get("/dashboard/financial", responses=PROBLEMS)
def read_financial_dashboard(
    context: Context,
    s: Services,
    conn: ReadConnection,
    granularity: Literal["month", "quarter", "year"] = "month",
    date_from: ApiDate | None = None,
    date_to: ApiDate | None = None,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
) -> dict[str, Any]:
    """Seed §5.2 per month, quarter or year: revenue, commission breakdown, collection rate,
    outstanding receivables, ARPU, churn and its revenue impact, customer lifetime value."""
    info = reporting_reseller(s, conn, context.principal, reseller_id, wait_for_position)
    start, end = report_range(context.received_at.date(), granularity, date_from, date_to)
    return financial_dashboard(conn, info, granularity, start, end)
