"""Each reseller's desk settings: routing rules, SLA targets, business calendar,
auto-escalation, reopen and auto-close days."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    Context,
    ExactJSONRoute,
    IfMatch,
    Services,
    command_response,
)
from api.schemas import PROBLEMS
from commands.support import desk

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


class SettingsOut(BaseModel):
    reseller_id: int
    routing_rules: list[dict[str, Any]]
    sla_targets: dict[str, dict[str, int]]
    calendar: dict[str, Any]
    auto_escalate_on_breach: bool
    reopen_days: int
    auto_close_days: int
    version: int


@router.get("/settings", response_model=SettingsOut, responses=PROBLEMS)
def settings(
    context: Context, s: Services, reseller_id: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    return desk.settings(s.store, context, reseller_id)


@router.put("/settings", response_model=SettingsOut, responses=PROBLEMS)
def change_settings(
    command: desk.DeskSettings, context: Context, s: Services, if_match: IfMatch
) -> Response:
    """Replace the desk's settings: routing rules (first match by category and/or priority to
    a team member or queue), SLA targets per priority in business minutes, the business
    calendar with its holidays, auto-escalation on a breach, reopen and auto-close days."""
    return command_response(desk.change_settings(s.store, context, command, if_match))
