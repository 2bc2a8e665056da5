"""Scheduling reports (seed §10.2): a reseller asks for a report to be generated every month,
quarter or year; the worker makes one file per completed period."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from commands.errors import NotFound
from commands.models import CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access.roles import Permission
from domain.partners.reseller import Reseller, reseller_id
from domain.reporting.schedule import ReportSchedule

ReportKind = Literal[
    "revenue", "acquisition", "churn", "commissions", "service-utilization", "financial-health"
]


class ScheduleReport(CommandModel):
    kind: ReportKind
    format: Literal["csv", "xlsx", "pdf"]
    frequency: Literal["monthly", "quarterly", "annually"]
    group_by: Literal["month", "quarter", "year", "service", "type"] | None = Field(
        default=None, description="The report's default grouping when absent"
    )
    service: Literal["internet", "voice", "bundle", "value_added", "other"] | None = None
    status: str | None = Field(default=None, max_length=20)
    reseller_id: int | None = Field(default=None, ge=1)


def schedule_view(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "schedule_id": str(schedule.id),
        "reseller_id": schedule.reseller_number,
        "kind": schedule.kind,
        "format": schedule.format,
        "frequency": schedule.frequency,
        "group_by": schedule.group_by,
        "service": schedule.service,
        "status": schedule.status,
        "active": schedule.active,
    }


def schedule_report(
    store: Store, context: RequestContext, command: ScheduleReport
) -> CommandResult:
    principal = context.principal
    number = principal.reseller_in_scope(command.reseller_id)
    principal.require(Permission.REPORT_SCHEDULE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        schedule = ReportSchedule.schedule(
            reseller_number=reseller.number,
            tenant_number=reseller.root_number,
            kind=command.kind,
            file_format=command.format,
            frequency=command.frequency,
            group_by=command.group_by,
            service=command.service,
            status=command.status,
        )
        return Outcome(
            [schedule], schedule_view(schedule), reseller.root_number, reseller.number, 201
        )

    return run_command(
        store,
        context,
        handle,
        fingerprint("schedule_report", number, command.model_dump(mode="json")),
    )


def cancel_schedule(store: Store, context: RequestContext, schedule_id: UUID) -> CommandResult:
    def handle() -> Outcome:
        schedule = load(store, schedule_id, ReportSchedule, "report schedule")
        if not context.principal.sees_reseller(schedule.reseller_number):
            raise NotFound("report schedule not found")
        context.principal.require(Permission.REPORT_SCHEDULE)
        schedule.cancel()
        return Outcome(
            [schedule], schedule_view(schedule), schedule.tenant_number, schedule.reseller_number
        )

    return run_command(store, context, handle, fingerprint("cancel_schedule", schedule_id))
