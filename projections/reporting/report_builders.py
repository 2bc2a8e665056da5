"""The six report builders (revenue, acquisition, churn, commissions, service utilization,
financial health) and `build_report`, which checks the query and picks the builder."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from domain.reporting.schedule import SERVICE_STATUSES
from projections.reporting.figures import ZERO, exact, ratio, text
from projections.reporting.metrics import (
    CLV_NOTE,
    SCHEMA,
    CustomerFilter,
    ResellerInfo,
    churned,
    churned_monthly_revenue,
    growth_row,
    live_at,
    money_sums,
    period_metrics,
    service_distribution,
)
from projections.reporting.periods import periods
from projections.reporting.report_model import Column, Report, ReportQuery, validate


def _key_column(group_by: str) -> Column:
    return Column({"service": "service", "type": "commission_type"}.get(group_by, "period"),
                  group_by.replace("_", " ").title(), "text")  # fmt: skip


def _normalized(report: Report) -> Report:
    currency = report.reseller.currency
    money_keys = [c.key for c in report.columns if c.kind == "money"]
    for values in (*report.rows, report.totals):
        for key in money_keys:
            if values.get(key) is not None:
                values[key] = exact(values[key], currency)
    return report


def _money(value: Decimal) -> str:
    return str(value)


def _sum_rows(rows: list[dict[str, Any]], columns: list[Column]) -> dict[str, Any]:
    totals: dict[str, Any] = {}
    for column in columns:
        if column.kind == "money":
            totals[column.key] = str(sum((Decimal(r[column.key]) for r in rows), ZERO))
        elif column.kind == "int":
            totals[column.key] = sum(int(r[column.key]) for r in rows)
    return totals


def _revenue(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> Report:
    customers = CustomerFilter(status=q.status)
    notes = []
    if q.group_by == "service":
        columns = [
            _key_column("service"),
            Column("invoiced_net", "Invoiced (net)"),
            Column("tax", "Tax"),
            Column("invoiced_total", "Invoiced (total)"),
        ]
        rows = []
        categories = [q.service] if q.service else [*_categories(conn, info, q)]
        for category in categories:
            sums = money_sums(
                conn, info.reseller_id, info.currency, q.date_from, q.date_to, customers, category
            )
            net, tax = sums.get("invoice_line", (ZERO, ZERO))
            rows.append(
                {
                    "service": category,
                    "invoiced_net": _money(net),
                    "tax": _money(tax),
                    "invoiced_total": _money(net + tax),
                }
            )
        notes.append("credit notes and payments belong to no service and are not in this view")
        return Report("revenue", "Revenue by service", info, q, columns, rows,
                      _sum_rows(rows, columns), notes)  # fmt: skip
    columns = [
        _key_column(q.group_by),
        Column("invoiced_net", "Invoiced (net)"),
        Column("credit_notes", "Credit notes (net)"),
        Column("revenue", "Revenue"),
        Column("tax", "Tax"),
        Column("invoiced_total", "Invoiced (total)"),
        Column("collected", "Collected"),
        Column("collection_rate", "Collection rate", "ratio"),
    ]
    rows = []
    for label, start, end in periods(q.group_by, q.date_from, q.date_to):
        sums = money_sums(conn, info.reseller_id, info.currency, start, end, customers, q.service)
        rows.append(_revenue_row(label, sums))
    if q.service:
        notes.append("with a service filter, credit notes and payments (no service) are left out")
    totals = _sum_rows(rows, columns)
    totals["collection_rate"] = text(
        ratio(Decimal(totals["collected"]), Decimal(totals["invoiced_total"]))
    )
    return Report("revenue", "Revenue", info, q, columns, rows, totals, notes)


def _revenue_row(label: str, sums: dict[str, tuple[Decimal, Decimal]]) -> dict[str, Any]:
    net, tax = sums.get("invoice_line", (ZERO, ZERO))
    credited = sums.get("credit_note", (ZERO, ZERO))[0]
    collected = sums.get("payment", (ZERO, ZERO))[0]
    return {
        "period": label,
        "invoiced_net": _money(net),
        "credit_notes": _money(credited),
        "revenue": _money(net - credited),
        "tax": _money(tax),
        "invoiced_total": _money(net + tax),
        "collected": _money(collected),
        "collection_rate": text(ratio(collected, net + tax)),
    }


def _categories(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            pgsql.SQL(
                "SELECT DISTINCT category FROM {}.money_facts WHERE reseller_id = %s"
                " AND kind = 'invoice_line' AND business_date BETWEEN %s AND %s ORDER BY 1"
            ).format(SCHEMA),
            (info.reseller_id, q.date_from, q.date_to),
        )
    ]


def _acquisition(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> Report:
    customers = CustomerFilter(status=q.status, service=q.service)
    columns = [
        _key_column(q.group_by),
        Column("customers_at_start", "Customers at start", "int"),
        Column("new_customers", "New customers", "int"),
        Column("churned_customers", "Churned", "int"),
        Column("net_growth", "Net growth", "int"),
        Column("customers_at_end", "Customers at end", "int"),
    ]
    rows = []
    for label, start, end in periods(q.group_by, q.date_from, q.date_to):
        rows.append({"period": label, **growth_row(conn, info.reseller_id, start, end, customers)})
    totals = _sum_rows(rows, columns)
    totals["customers_at_start"] = rows[0]["customers_at_start"] if rows else 0
    totals["customers_at_end"] = rows[-1]["customers_at_end"] if rows else 0
    return Report("acquisition", "Customer acquisition", info, q, columns, rows, totals)


def _churn(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> Report:
    customers = CustomerFilter(service=q.service)
    columns = [
        _key_column(q.group_by),
        Column("live_at_start", "Live at start", "int"),
        Column("churned_customers", "Churned", "int"),
        Column("churn_rate", "Churn rate", "ratio"),
        Column("churned_monthly_revenue", "Churned monthly revenue"),
    ]
    rows = []
    for label, start, end in periods(q.group_by, q.date_from, q.date_to):
        live = live_at(conn, info.reseller_id, start, customers)
        lost = churned(conn, info.reseller_id, start, end, customers)
        lost_revenue = churned_monthly_revenue(
            conn, info.reseller_id, info.currency, start, end, customers
        )
        rows.append(
            {
                "period": label,
                "live_at_start": live,
                "churned_customers": lost,
                "churn_rate": text(ratio(lost, live)),
                "churned_monthly_revenue": _money(lost_revenue),
            }
        )
    totals = _sum_rows(rows, columns)
    totals["live_at_start"] = rows[0]["live_at_start"] if rows else 0
    totals["churn_rate"] = text(ratio(totals["churned_customers"], totals["live_at_start"]))
    return Report("churn", "Customer churn", info, q, columns, rows, totals)


def _commissions(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> Report:
    columns = [
        _key_column(q.group_by),
        Column("records", "Records", "int"),
        Column("earned", "Earned"),
        Column("clawed_back", "Clawed back"),
        Column("net", "Net"),
    ]
    group = (
        pgsql.SQL("category")
        if q.group_by == "type"
        else pgsql.SQL("to_char(business_date, {})").format(
            pgsql.Literal({"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}[q.group_by])
        )
    )
    query = pgsql.SQL(
        "SELECT {} AS key, count(*), coalesce(sum(amount) FILTER (WHERE amount > 0), 0),"
        " coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) FROM {}.money_facts"
        " WHERE reseller_id = %s AND currency = %s AND kind = 'commission'"
        " AND business_date BETWEEN %s AND %s"
    ).format(group, SCHEMA)
    params: list[Any] = [info.reseller_id, info.currency, q.date_from, q.date_to]
    if q.status is None:
        query += pgsql.SQL(" AND status <> 'voided'")
    else:
        query += pgsql.SQL(" AND status = %s")
        params.append(q.status)
    query += pgsql.SQL(" GROUP BY 1 ORDER BY 1")
    found = {
        key: (int(count), Decimal(earned), Decimal(back))
        for key, count, earned, back in conn.execute(query, params)
    }
    keys = (
        sorted(found)
        if q.group_by == "type"
        else [label for label, _, _ in periods(q.group_by, q.date_from, q.date_to)]
    )
    rows = []
    for key in keys:
        count, earned, back = found.get(key, (0, ZERO, ZERO))
        rows.append(
            {
                columns[0].key: key,
                "records": count,
                "earned": _money(earned),
                "clawed_back": _money(back),
                "net": _money(earned - back),
            }
        )
    return Report("commissions", "Commissions", info, q, columns, rows, _sum_rows(rows, columns))


def _service_utilization(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> Report:
    columns = [
        _key_column("service"),
        Column("services", "Services", "int"),
        *(Column(s, s.title(), "int") for s in SERVICE_STATUSES),
        Column("utilization", "Utilization", "ratio"),
        Column("revenue", "Invoiced (net)"),
    ]
    distribution = service_distribution(conn, info.reseller_id, q.service)
    rows = []
    for service_type, counts in sorted(distribution.items()):
        if q.status is not None:
            counts = {s: (n if s == q.status else 0) for s, n in counts.items()}
        sums = money_sums(
            conn, info.reseller_id, info.currency, q.date_from, q.date_to, category=service_type
        )
        rows.append(_utilization_row(service_type, counts, sums))
    totals = _sum_rows(rows, columns)
    totals["utilization"] = _utilization(totals)
    return Report(
        "service-utilization",
        "Service utilization",
        info,
        q,
        columns,
        rows,
        totals,
        ["service counts are as of now; revenue is for the date range"],
    )


def _utilization(counts: dict[str, Any]) -> str | None:
    in_use = int(counts["active"]) + int(counts["limited"])
    not_ended = sum(int(counts[s]) for s in SERVICE_STATUSES if s != "terminated")
    return text(ratio(in_use, not_ended))


def _utilization_row(
    service_type: str, counts: dict[str, int], sums: dict[str, tuple[Decimal, Decimal]]
) -> dict[str, Any]:
    row: dict[str, Any] = {"service": service_type, "services": sum(counts.values()), **counts}
    row["utilization"] = _utilization(row)
    row["revenue"] = _money(sums.get("invoice_line", (ZERO, ZERO))[0])
    return row


HEALTH_KEYS = (
    ("revenue", "Revenue", "money"),
    ("wholesale_cost", "Wholesale cost", "money"),
    ("gross_margin", "Gross margin", "money"),
    ("commission", "Commission earned", "money"),
    ("collected", "Collected", "money"),
    ("collection_rate", "Collection rate", "ratio"),
    ("outstanding_receivables", "Outstanding receivables", "money"),
    ("arpu", "ARPU (monthly)", "money"),
    ("churn_rate", "Churn rate", "ratio"),
    ("clv", "Customer lifetime value", "money"),
)


def _financial_health(conn: Connection[Any], info: ResellerInfo, q: ReportQuery) -> Report:
    columns = [_key_column(q.group_by), *(Column(k, label, t) for k, label, t in HEALTH_KEYS)]
    rows = []
    for label, start, end in periods(q.group_by, q.date_from, q.date_to):
        metrics = period_metrics(conn, info, start, end)
        row: dict[str, Any] = {"period": label}
        rows.append(row | {k: text(metrics[k]) for k, _, _ in HEALTH_KEYS})
    whole = period_metrics(conn, info, q.date_from, q.date_to)
    totals = {k: text(whole[k]) for k, _, _ in HEALTH_KEYS}
    return Report("financial-health", "Financial health", info, q, columns, rows, totals,
                  [CLV_NOTE, "totals are the figures of the whole date range"])  # fmt: skip


BUILDERS = {
    "revenue": _revenue,
    "acquisition": _acquisition,
    "churn": _churn,
    "commissions": _commissions,
    "service-utilization": _service_utilization,
    "financial-health": _financial_health,
}


def build_report(conn: Connection[Any], info: ResellerInfo, query: ReportQuery) -> Report:
    validate(query)
    return _normalized(BUILDERS[query.kind](conn, info, query))


# -- schedules ----------------------------------------------------------------------------
