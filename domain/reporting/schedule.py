"""A scheduled report (seed §10.2 "automated report scheduling"): which report, with which
filters and grouping, in which file format, how often. The worker generates it once per
completed period; cancelling stops further generations (files already made stay)."""

from __future__ import annotations

from datetime import date, timedelta

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError

REPORT_KINDS = (
    "revenue",
    "acquisition",
    "churn",
    "commissions",
    "service-utilization",
    "financial-health",
)
CUSTOMER_STATUSES = ("new", "pending", "active", "suspended", "inactive")
SERVICE_STATUSES = ("pending", "active", "suspended", "limited", "terminated")
COMMISSION_STATUSES = (
    "pending",
    "calculated",
    "approved",
    "disputed",
    "adjusted",
    "paid",
    "voided",
)
GROUPINGS: dict[str, tuple[str, ...]] = {
    "revenue": ("month", "quarter", "year", "service"),
    "acquisition": ("month", "quarter", "year"),
    "churn": ("month", "quarter", "year"),
    "commissions": ("month", "quarter", "year", "type"),
    "service-utilization": ("service",),
    "financial-health": ("month", "quarter", "year"),
}
"""How each report may be grouped; the first is its default."""
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "revenue": CUSTOMER_STATUSES,
    "acquisition": CUSTOMER_STATUSES,
    "commissions": COMMISSION_STATUSES,
    "service-utilization": SERVICE_STATUSES,
}
"""What `status` filters, per report: the customers', the commissions' or the services'."""
SERVICE_FILTER = ("revenue", "acquisition", "churn", "service-utilization")
FILE_FORMATS = ("csv", "xlsx", "pdf")
FREQUENCIES = ("monthly", "quarterly", "annually")
SERVICE_TYPES = ("internet", "voice", "bundle", "value_added", "other")


def check_report_filters(kind: str, group_by: str, status: str | None, service: str | None) -> None:
    """Refuse a grouping or filter the report does not have, naming the parameter."""
    if kind not in REPORT_KINDS:
        raise DomainError(f"kind must be one of {', '.join(REPORT_KINDS)}", field="kind")
    if group_by not in GROUPINGS[kind]:
        raise DomainError(
            f"the {kind} report groups by {', '.join(GROUPINGS[kind])}", field="group_by"
        )
    if status is not None:
        allowed = STATUS_FILTERS.get(kind)
        if allowed is None:
            raise DomainError(f"the {kind} report has no status filter", field="status")
        if status not in allowed:
            raise DomainError(f"status must be one of {', '.join(allowed)}", field="status")
    if service is not None:
        if kind not in SERVICE_FILTER:
            raise DomainError(f"the {kind} report has no service filter", field="service")
        if service not in SERVICE_TYPES:
            raise DomainError(f"service must be one of {', '.join(SERVICE_TYPES)}", field="service")


def previous_period(frequency: str, today: date) -> tuple[date, date]:
    """The last complete calendar period (month, quarter or year) before `today`."""
    if frequency == "monthly":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if frequency == "quarterly":
        first_month = 3 * ((today.month - 1) // 3) + 1
        end = today.replace(month=first_month, day=1) - timedelta(days=1)
        return end.replace(month=end.month - 2, day=1), end
    if frequency == "annually":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise DomainError(f"frequency must be one of {', '.join(FREQUENCIES)}", field="frequency")


class ReportSchedule(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int
        tenant_number: int
        kind: str
        format: str
        frequency: str
        group_by: str
        service: str | None
        status: str | None

    @event(Created)
    def __init__(
        self,
        reseller_number: int,
        tenant_number: int,
        kind: str,
        format: str,
        frequency: str,
        group_by: str,
        service: str | None,
        status: str | None,
    ) -> None:
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.kind = kind
        self.format = format
        self.frequency = frequency
        self.group_by = group_by
        self.service = service
        self.status = status
        self.active = True

    @classmethod
    def schedule(
        cls,
        *,
        reseller_number: int,
        tenant_number: int,
        kind: str,
        file_format: str,
        frequency: str,
        group_by: str | None,
        service: str | None,
        status: str | None,
    ) -> ReportSchedule:
        if kind not in REPORT_KINDS:
            raise DomainError(f"kind must be one of {', '.join(REPORT_KINDS)}", field="kind")
        group_by = group_by or GROUPINGS[kind][0]
        check_report_filters(kind, group_by, status, service)
        if file_format not in FILE_FORMATS:
            raise DomainError(f"format must be one of {', '.join(FILE_FORMATS)}", field="format")
        if frequency not in FREQUENCIES:
            raise DomainError(
                f"frequency must be one of {', '.join(FREQUENCIES)}", field="frequency"
            )
        return cls(
            reseller_number=reseller_number,
            tenant_number=tenant_number,
            kind=kind,
            format=file_format,
            frequency=frequency,
            group_by=group_by,
            service=service,
            status=status,
        )

    class Cancelled(Aggregate.Event):
        pass

    @event(Cancelled)
    def _cancel(self) -> None:
        self.active = False

    def cancel(self) -> None:
        if not self.active:
            raise DomainError("the schedule is already cancelled", field="schedule_id")
        self._cancel()
