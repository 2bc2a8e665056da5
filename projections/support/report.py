"""The support performance report (seed §10.1 "Support performance metrics"): per priority,
the tickets opened in a date range, how many were resolved, still open, their first-response
and resolution medians and SLA breaches; as JSON or exported (CSV, XLSX, PDF) by the same
exporter as the other reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.reporting.metrics import ResellerInfo
from projections.reporting.report_model import Column, Report, ReportQuery
from projections.support.queries import OPEN, _schema, _seconds

PRIORITIES = ("emergency", "urgent", "high", "medium", "low")
COUNTS = ("opened", "resolved", "open", "first_response_breached", "resolution_breached")
COLUMNS = [
    Column("priority", "Priority", "text"),
    Column("opened", "Opened", "int"),
    Column("resolved", "Resolved", "int"),
    Column("open", "Still open", "int"),
    Column("first_response_median_s", "First response, median (s)", "text"),
    Column("resolution_median_s", "Resolution, median (s)", "text"),
    Column("first_response_breached", "First-response breaches", "int"),
    Column("resolution_breached", "Resolution breaches", "int"),
]
SQL = """
SELECT priority, count(*) AS opened,
  count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
  count(*) FILTER (WHERE status = ANY(%(open)s)) AS open,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - opened_at))
    FILTER (WHERE first_response_at IS NOT NULL) AS first_response_median_s,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
    FILTER (WHERE resolved_at IS NOT NULL) AS resolution_median_s,
  count(*) FILTER (WHERE first_response_breached) AS first_response_breached,
  count(*) FILTER (WHERE resolution_breached) AS resolution_breached
FROM {schema}.tickets
WHERE reseller_id = %(reseller)s AND opened_at >= %(start)s::date
  AND opened_at < (%(end)s::date + 1)
GROUP BY priority
"""


def support_report(
    conn: Connection[Any], info: ResellerInfo, date_from: date, date_to: date
) -> Report:
    """Tickets opened from `date_from` to `date_to` (inclusive, UTC days), by priority."""
    params = {
        "open": list(OPEN),
        "reseller": info.reseller_id,
        "start": date_from,
        "end": date_to,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(pgsql.SQL(SQL).format(schema=_schema()), params)
        found = {r["priority"]: r for r in cur.fetchall()}
    rows = []
    for priority in PRIORITIES:
        r = found.get(priority, {})
        rows.append(
            {
                "priority": priority,
                **{k: int(r.get(k) or 0) for k in COUNTS},
                "first_response_median_s": _seconds(r.get("first_response_median_s")),
                "resolution_median_s": _seconds(r.get("resolution_median_s")),
            }
        )
    totals: dict[str, Any] = {k: sum(row[k] for row in rows) for k in COUNTS}
    totals |= {"first_response_median_s": None, "resolution_median_s": None}
    query = ReportQuery("support", info.reseller_id, date_from, date_to, "priority")
    return Report(
        "support",
        "Support performance",
        info,
        query,
        COLUMNS,
        rows,
        totals,
        ["Times are wall-clock seconds from opening; medians by nearest rank."],
    )
