"""What a report is: its query, columns, rows and totals, and the check of its query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.reporting.schedule import (
    check_report_filters,
)
from projections.reporting.figures import ReportError
from projections.reporting.metrics import ResellerInfo

MAX_RANGE_DAYS = 3_700


@dataclass(frozen=True, slots=True)
class ReportQuery:
    kind: str
    reseller_id: int
    date_from: date
    date_to: date
    group_by: str
    service: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: str = "money"
    """'text', 'int', 'money' or 'ratio'."""


@dataclass
class Report:
    kind: str
    title: str
    reseller: ResellerInfo
    query: ReportQuery
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        q = self.query
        return {
            "report": self.kind,
            "title": self.title,
            "reseller_id": self.reseller.reseller_id,
            "reseller_name": self.reseller.name,
            "currency": self.reseller.currency,
            "filters": {
                "date_from": q.date_from.isoformat(),
                "date_to": q.date_to.isoformat(),
                "service": q.service,
                "status": q.status,
            },
            "group_by": q.group_by,
            "columns": [{"key": c.key, "label": c.label, "type": c.kind} for c in self.columns],
            "rows": self.rows,
            "totals": self.totals,
            "notes": self.notes,
        }


def validate(query: ReportQuery) -> None:
    check_report_filters(query.kind, query.group_by, query.status, query.service)
    if query.date_from > query.date_to:
        raise ReportError("date_from must not be after date_to", field="date_from")
    if (query.date_to - query.date_from).days > MAX_RANGE_DAYS:
        raise ReportError(f"a report covers at most {MAX_RANGE_DAYS} days", field="date_to")
