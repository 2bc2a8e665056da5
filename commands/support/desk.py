"""Desk settings (routing rules, SLA targets, calendar, windows) per reseller, and the master
ISP's extra ticket categories."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from pydantic import Field

from commands.errors import Forbidden, PreconditionFailed, Unprocessable
from commands.models import ApiDate, ClockTime, CommandModel, LaxUUID
from commands.partners.resellers import tenant_of
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists
from commands.support.common import categories_of, desk_of
from commands.support.tickets import Priority
from domain.access.roles import Permission
from domain.access.users import ResellerUser
from domain.ledger.errors import DomainError
from domain.support.business_hours import MAX_HOLIDAYS, BusinessCalendar
from domain.support.desk import MAX_RULES

NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


class RoutingRule(CommandModel):
    category: str | None = Field(default=None, min_length=1, max_length=50)
    priority: Priority | None = None
    assignee_user_id: LaxUUID | None = None
    queue: str | None = Field(default=None, min_length=1, max_length=100)


class SlaTarget(CommandModel):
    first_response_minutes: int = Field(ge=1)
    resolution_minutes: int = Field(ge=1)


class Calendar(CommandModel):
    timezone: str = Field(default="UTC", min_length=1, max_length=64, examples=["Africa/Lagos"])
    opens: ClockTime = time(8, 0)
    closes: ClockTime = time(18, 0)
    workdays: list[int] = Field(default=[0, 1, 2, 3, 4], min_length=1, max_length=7)
    holidays: list[ApiDate] = Field(default_factory=list, max_length=MAX_HOLIDAYS)


class DeskSettings(CommandModel):
    reseller_id: int | None = Field(default=None, ge=1)
    routing_rules: list[RoutingRule] = Field(default_factory=list, max_length=MAX_RULES)
    sla_targets: dict[Priority, SlaTarget] = Field(default_factory=dict)
    calendar: Calendar = Field(default_factory=Calendar)
    auto_escalate_on_breach: bool = False
    reopen_days: int = Field(default=7, ge=1, le=90)
    auto_close_days: int = Field(default=5, ge=1, le=90)


class AddCategory(CommandModel):
    name: str = Field(min_length=2, max_length=50, pattern=NAME.pattern, examples=["outage"])
    label: str = Field(default="", max_length=100)


def change_settings(
    store: Store, context: RequestContext, command: DeskSettings, expected_version: int | None
) -> CommandResult:
    number = context.principal.reseller_in_scope(command.reseller_id)
    context.principal.require(Permission.TICKET_MANAGE)
    try:
        calendar = BusinessCalendar(
            command.calendar.timezone,
            command.calendar.opens,
            command.calendar.closes,
            frozenset(command.calendar.workdays),
            frozenset(command.calendar.holidays),
        )
    except DomainError as error:
        raise Unprocessable(str(error), field=f"calendar.{error.field}") from None

    def handle() -> Outcome:
        desk = desk_of(store, number)
        if expected_version is not None and desk.version != expected_version:
            raise PreconditionFailed(f"the settings are at version {desk.version}")
        team = set()
        for rule in command.routing_rules:
            if rule.assignee_user_id is not None:
                if not exists(store, rule.assignee_user_id):
                    continue
                user: object = store.repository.get(rule.assignee_user_id)
                if isinstance(user, ResellerUser) and user.reseller_number == number:
                    team.add(str(user.id))
        desk.change_settings(
            [
                {
                    "category": r.category,
                    "priority": r.priority,
                    "assignee": None if r.assignee_user_id is None else str(r.assignee_user_id),
                    "queue": r.queue,
                }
                for r in command.routing_rules
            ],
            {
                p: (t.first_response_minutes, t.resolution_minutes)
                for p, t in command.sla_targets.items()
            },
            calendar,
            command.auto_escalate_on_breach,
            command.reopen_days,
            command.auto_close_days,
            categories_of(store).names,
            team,
        )
        return Outcome([desk], desk.settings_view(), tenant_of(store, number), number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("support_settings", number, command.model_dump(mode="json"), expected_version),
    )


def settings(store: Store, context: RequestContext, reseller_id: int | None) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.TICKET_MANAGE)
    return desk_of(store, number).settings_view()


def categories_view(
    store: Store, context: RequestContext, reseller_id: int | None
) -> dict[str, Any]:
    if reseller_id is not None or not context.principal.in_isp_realm:
        context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.TICKET_MANAGE)
    return _categories_body(store)


def _categories_body(store: Store) -> dict[str, Any]:
    categories = categories_of(store)
    return {"categories": categories.names, "version": categories.version}


def add_category(store: Store, context: RequestContext, command: AddCategory) -> CommandResult:
    if not context.principal.in_isp_realm:
        raise Forbidden("only the master ISP adds ticket categories")
    context.principal.require(Permission.TICKET_MANAGE)

    def handle() -> Outcome:
        categories = categories_of(store)
        categories.add(command.name, command.label)
        names = categories.names
        return Outcome(
            [categories], {"categories": names, "version": categories.version}, 0, None, 201
        )

    return run_command(
        store, context, handle, fingerprint("support_category", command.model_dump())
    )
