"""Seed §7.3: the team's activity: login history and per-member performance over a period."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Context, ExactJSONRoute, ReadConnection, parse_uuid
from api.routers.access.params import ResellerFilter
from api.schemas import PROBLEMS
from commands.errors import Unprocessable
from commands.models import AwareDatetime
from domain.access.roles import Permission
from projections.access.activity import team_performance
from projections.access.users import login_history

router = APIRouter(prefix="/reseller/api", tags=["users"], route_class=ExactJSONRoute)
MAX_PERIOD = timedelta(days=366)


@router.get("/activity/logins", responses=PROBLEMS)
def logins(
    context: Context,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Login history (successes and failures, IP, user agent)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.ACTIVITY_VIEW)
    target = None if user_id is None else str(parse_uuid(user_id, "user"))
    return login_history(conn, number, target, limit)


@router.get("/activity/team", responses=PROBLEMS)
def team(
    context: Context,
    conn: ReadConnection,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    reseller_id: ResellerFilter = None,
) -> list[dict[str, Any]]:
    """Seed §7.3: logins, customer interactions and actions per team member over a period
    (default: the last 30 days)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.ACTIVITY_VIEW)
    until = until or context.received_at
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise Unprocessable("since and until need a time zone", field="since")
    if not since < until <= since + MAX_PERIOD:
        raise Unprocessable("the period must be positive and at most a year", field="since")
    return team_performance(conn, number, since, until)
