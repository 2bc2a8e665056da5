"""Dashboards and reports: queries over the reporting read model (and, for the dashboard's
credit and activity widgets, the credit-account and activity read models).

Definitions (also in the README):
- revenue = invoice lines' net (tax excluded) minus credit notes' net, by business date;
- collection rate = customer payments received in the period / invoiced total (with tax) in
  the period (may exceed 1 when older debts are paid; none when nothing was invoiced);
- outstanding receivables = what customers owe at the period's end (recorded receivable
  postings up to that day);
- customer growth (dashboard and acquisition report) counts customers on the books
  (registered, not inactive): at start (end of the day before the period) + new (registered
  in it) - churned (became inactive in it, from any status) = at end, in every row;
- live customers = status active or suspended; churned (churn report, financial figures) =
  moved from live to inactive;
- churn rate = churned in the period / live at its first day (none when nobody was live);
- churned monthly revenue = each churned customer's revenue in the calendar month before the
  month they churned;
- ARPU (monthly) = revenue / distinct customers invoiced in the period / months in the period;
- CLV = ARPU / monthly churn rate (churn rate / months), unrounded inputs; none when nobody
  churned (an unbounded lifetime) or nothing was invoiced;
- commission earned = the reseller's commission records (signed: clawbacks are negative) by
  their date, any status but voided.
Sums of recorded amounts are exact; derived money (ARPU, CLV) rounds half-up to the currency's
minor unit; ratios are fractions rounded half-up to 4 places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from domain.ledger.errors import DomainError
from domain.ledger.money import round_half_up
from domain.reporting.schedule import (
    CUSTOMER_STATUSES,
    SERVICE_STATUSES,
    check_report_filters,
)
from projections.reporting.read_model import LIVE_STATUSES, ReportingProjector

SCHEMA = pgsql.Identifier(ReportingProjector.live_schema())
RATIO = Decimal("0.0001")
ZERO = Decimal(0)
MAX_PERIODS = 120
MAX_RANGE_DAYS = 3_700
RECENT_ACTIVITY = 10


class ReportError(DomainError):
    """A request the report cannot answer; names the offending parameter (422)."""


# -- small helpers ------------------------------------------------------------------------


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


def text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def months_in(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _period_end(start: date, granularity: str) -> date:
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    return month_start(start, -months) - timedelta(days=1)


def _label(start: date, granularity: str) -> str:
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    if granularity == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def periods(granularity: str, date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """Calendar periods covering [date_from, date_to], each clipped to the range."""
    first = date_from.replace(day=1)
    if granularity == "quarter":
        first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
    elif granularity == "year":
        first = first.replace(month=1)
    found: list[tuple[str, date, date]] = []
    start = first
    while start <= date_to:
        end = _period_end(start, granularity)
        found.append((_label(start, granularity), max(start, date_from), min(end, date_to)))
        if len(found) > MAX_PERIODS:
            raise ReportError(f"at most {MAX_PERIODS} periods per report", field="date_from")
        start = end + timedelta(days=1)
    return found


def default_range(today: date, granularity: str) -> tuple[date, date]:
    back = {"month": 11, "quarter": 9, "year": 24}.get(granularity, 11)
    start = month_start(today, back)
    if granularity == "quarter":
        start = start.replace(month=3 * ((start.month - 1) // 3) + 1)
    if granularity == "year":
        start = start.replace(month=1)
    return start, today


def _scalar(conn: Connection[Any], query: pgsql.SQL | pgsql.Composed, params: Sequence[Any]) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


# -- the reseller -------------------------------------------------------------------------

DEFAULT_PRIMARY = "#1F4E79"
DEFAULT_SECONDARY = "#F28C28"


@dataclass(frozen=True, slots=True)
class ResellerInfo:
    reseller_id: int
    code: str
    name: str
    currency: str
    customer_limit: int | None
    primary_color: str
    secondary_color: str


def reseller_info(conn: Connection[Any], reseller_id: int) -> ResellerInfo | None:
    row = conn.execute(
        pgsql.SQL(
            "SELECT reseller_id, code, name, currency, customer_limit, primary_color,"
            " secondary_color FROM {}.resellers WHERE reseller_id = %s"
        ).format(SCHEMA),
        (reseller_id,),
    ).fetchone()
    if row is None:
        return None
    return ResellerInfo(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        row[5] or DEFAULT_PRIMARY,
        row[6] or DEFAULT_SECONDARY,
    )


# -- customer filters ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """Restricts customer-based figures to customers in a current status and/or with a
    service of a type."""

    status: str | None = None
    service: str | None = None

    def clause(self, column: str) -> tuple[pgsql.Composable, list[Any]]:
        parts: list[pgsql.Composable] = []
        params: list[Any] = []
        col = pgsql.SQL(column)  # type: ignore[arg-type,unused-ignore] # a name from this module
        if self.status is not None:
            parts.append(
                pgsql.SQL(
                    " AND {} IN (SELECT customer_id FROM {}.customers WHERE status = %s)"
                ).format(col, SCHEMA)
            )
            params.append(self.status)
        if self.service is not None:
            parts.append(
                pgsql.SQL(
                    " AND {} IN (SELECT customer_id FROM {}.services WHERE service_type = %s)"
                ).format(col, SCHEMA)
            )
            params.append(self.service)
        return pgsql.Composed(parts), params


NO_FILTER = CustomerFilter()

# -- money ----------------------------------------------------------------------------------


def money_sums(
    conn: Connection[Any],
    reseller_id: int,
    currency: str,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
    category: str | None = None,
) -> dict[str, tuple[Decimal, Decimal]]:
    """Per kind: (sum of amounts, sum of tax) of facts dated within [start, end]. Voided
    commissions are left out. With `category`, only invoice lines of that service type."""
    query = pgsql.SQL(
        "SELECT kind, coalesce(sum(amount), 0), coalesce(sum(tax), 0) FROM {}.money_facts"
        " WHERE reseller_id = %s AND currency = %s AND business_date BETWEEN %s AND %s"
        " AND kind <> 'receivable' AND (kind <> 'commission' OR status <> 'voided')"
    ).format(SCHEMA)
    params: list[Any] = [reseller_id, currency, start, end]
    if category is not None:
        query += pgsql.SQL(" AND kind = 'invoice_line' AND category = %s")
        params.append(category)
    clause, extra = customers.clause("customer_id")
    query += clause + pgsql.SQL(" GROUP BY kind")
    rows = conn.execute(query, [*params, *extra]).fetchall()
    return {kind: (Decimal(amount), Decimal(tax)) for kind, amount, tax in rows}


def receivables_at(conn: Connection[Any], reseller_id: int, currency: str, day: date) -> Decimal:
    total = _scalar(
        conn,
        pgsql.SQL(
            "SELECT coalesce(sum(amount), 0) FROM {}.money_facts WHERE reseller_id = %s"
            " AND currency = %s AND kind = 'receivable' AND business_date <= %s"
        ).format(SCHEMA),
        (reseller_id, currency, day),
    )
    return Decimal(total)


def customers_invoiced(
    conn: Connection[Any], reseller_id: int, currency: str, start: date, end: date
) -> int:
    return int(
        _scalar(
            conn,
            pgsql.SQL(
                "SELECT count(DISTINCT customer_id) FROM {}.money_facts WHERE reseller_id = %s"
                " AND currency = %s AND kind = 'invoice_line' AND business_date BETWEEN %s AND %s"
            ).format(SCHEMA),
            (reseller_id, currency, start, end),
        )
    )


def commission_breakdown(
    conn: Connection[Any], reseller_id: int, currency: str, start: date, end: date
) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        pgsql.SQL(
            "SELECT category, status, coalesce(sum(amount), 0) FROM {}.money_facts"
            " WHERE reseller_id = %s AND currency = %s AND kind = 'commission'"
            " AND business_date BETWEEN %s AND %s GROUP BY category, status"
            " ORDER BY category, status"
        ).format(SCHEMA),
        (reseller_id, currency, start, end),
    ).fetchall()
    by_type: dict[str, Decimal] = {}
    by_status: dict[str, Decimal] = {}
    for category, status, amount in rows:
        if status != "voided":
            by_type[category] = by_type.get(category, ZERO) + amount
        by_status[status] = by_status.get(status, ZERO) + amount
    return {
        "by_type": {k: str(v) for k, v in by_type.items()},
        "by_status": {k: str(v) for k, v in by_status.items()},
    }


# -- customers ------------------------------------------------------------------------------


def _live_in(statuses: Sequence[str]) -> pgsql.Composable:
    return pgsql.SQL("({})").format(pgsql.SQL(", ").join(pgsql.Literal(s) for s in statuses))


def live_at(
    conn: Connection[Any], reseller_id: int, day: date, customers: CustomerFilter = NO_FILTER
) -> int:
    """Customers live at the start of `day` (their last change before it left them live)."""
    clause, extra = customers.clause("customer_id")
    query = pgsql.SQL(
        "SELECT count(*) FROM (SELECT DISTINCT ON (customer_id) to_status FROM {}.status_changes"
        " WHERE reseller_id = %s AND changed_on < %s"
    ).format(SCHEMA)
    query += clause + pgsql.SQL(
        " ORDER BY customer_id, version DESC) last WHERE to_status IN {}"
    ).format(_live_in(LIVE_STATUSES))
    return int(_scalar(conn, query, [reseller_id, day, *extra]))


def open_at(
    conn: Connection[Any], reseller_id: int, day: date, customers: CustomerFilter = NO_FILTER
) -> int:
    """Customers registered by the end of `day` and not inactive then."""
    clause, extra = customers.clause("customer_id")
    query = pgsql.SQL(
        "SELECT count(*) FROM (SELECT DISTINCT ON (customer_id) to_status FROM {}.status_changes"
        " WHERE reseller_id = %s AND changed_on <= %s"
    ).format(SCHEMA)
    query += clause + pgsql.SQL(
        " ORDER BY customer_id, version DESC) last WHERE to_status <> 'inactive'"
    )
    return int(_scalar(conn, query, [reseller_id, day, *extra]))


def new_customers(
    conn: Connection[Any],
    reseller_id: int,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
) -> int:
    clause, extra = customers.clause("customer_id")
    query = pgsql.SQL(
        "SELECT count(*) FROM {}.customers WHERE reseller_id = %s"
        " AND registered_on BETWEEN %s AND %s"
    ).format(SCHEMA)
    return int(_scalar(conn, query + clause, [reseller_id, start, end, *extra]))


def churned(
    conn: Connection[Any],
    reseller_id: int,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
) -> int:
    clause, extra = customers.clause("customer_id")
    query = pgsql.SQL(
        "SELECT count(*) FROM {}.status_changes WHERE reseller_id = %s AND to_status = 'inactive'"
        " AND from_status IN {} AND changed_on BETWEEN %s AND %s"
    ).format(SCHEMA, _live_in(LIVE_STATUSES))
    return int(_scalar(conn, query + clause, [reseller_id, start, end, *extra]))


def left_books(
    conn: Connection[Any],
    reseller_id: int,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
) -> int:
    """Customers who became inactive within [start, end], whatever status they left (inactive
    is final): the growth report's churn, so that its rows reconcile."""
    clause, extra = customers.clause("customer_id")
    query = pgsql.SQL(
        "SELECT count(*) FROM {}.status_changes WHERE reseller_id = %s AND to_status = 'inactive'"
        " AND changed_on BETWEEN %s AND %s"
    ).format(SCHEMA)
    return int(_scalar(conn, query + clause, [reseller_id, start, end, *extra]))


def growth_row(
    conn: Connection[Any],
    reseller_id: int,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
) -> dict[str, int]:
    """One period of customer growth over the customers on the books (registered, not
    inactive): at start (end of the day before) + new (registered) - churned (became
    inactive) = at end, exactly; net growth is the difference."""
    opening = open_at(conn, reseller_id, start - timedelta(days=1), customers)
    new = new_customers(conn, reseller_id, start, end, customers)
    lost = left_books(conn, reseller_id, start, end, customers)
    # Inactive is final and every customer has one 'new' row on its registration day, so the
    # row reconciles by construction (tests/api/test_journal_ties.py checks it).
    closing = open_at(conn, reseller_id, end, customers)
    return {
        "customers_at_start": opening,
        "new_customers": new,
        "churned_customers": lost,
        "net_growth": new - lost,
        "customers_at_end": closing,
    }


def churned_monthly_revenue(
    conn: Connection[Any],
    reseller_id: int,
    currency: str,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
) -> Decimal:
    clause, extra = customers.clause("c.customer_id")
    query = pgsql.SQL(
        "SELECT coalesce(sum(CASE f.kind WHEN 'invoice_line' THEN f.amount ELSE -f.amount END),"
        " 0) FROM {}.status_changes c JOIN {}.money_facts f ON f.customer_id = c.customer_id"
        " AND f.kind IN ('invoice_line', 'credit_note') AND f.currency = %s"
        " AND f.business_date >= date_trunc('month', c.changed_on) - interval '1 month'"
        " AND f.business_date < date_trunc('month', c.changed_on)"
        " WHERE c.reseller_id = %s AND c.to_status = 'inactive' AND c.from_status IN {}"
        " AND c.changed_on BETWEEN %s AND %s"
    ).format(SCHEMA, SCHEMA, _live_in(LIVE_STATUSES))
    return Decimal(_scalar(conn, query + clause, [currency, reseller_id, start, end, *extra]))


def customers_by_status(conn: Connection[Any], reseller_id: int) -> dict[str, int]:
    counts = dict.fromkeys(CUSTOMER_STATUSES, 0)
    for status, count in conn.execute(
        pgsql.SQL(
            "SELECT status, count(*) FROM {}.customers WHERE reseller_id = %s GROUP BY status"
        ).format(SCHEMA),
        (reseller_id,),
    ):
        counts[status] = int(count)
    return counts


def service_distribution(
    conn: Connection[Any], reseller_id: int, service: str | None = None
) -> dict[str, dict[str, int]]:
    query = pgsql.SQL(
        "SELECT service_type, status, count(*) FROM {}.services WHERE reseller_id = %s"
    ).format(SCHEMA)
    params: list[Any] = [reseller_id]
    if service is not None:
        query += pgsql.SQL(" AND service_type = %s")
        params.append(service)
    query += pgsql.SQL(" GROUP BY service_type, status ORDER BY service_type")
    found: dict[str, dict[str, int]] = {}
    for service_type, status, count in conn.execute(query, params):
        found.setdefault(service_type, dict.fromkeys(SERVICE_STATUSES, 0))[status] = int(count)
    return found


# -- per-period metrics -----------------------------------------------------------------------


def period_metrics(
    conn: Connection[Any],
    info: ResellerInfo,
    start: date,
    end: date,
    customers: CustomerFilter = NO_FILTER,
) -> dict[str, Any]:
    """Every financial and lifecycle figure of one period, as exact Decimals and ints."""
    r, currency = info.reseller_id, info.currency
    sums = money_sums(conn, r, currency, start, end, customers)
    net, tax = sums.get("invoice_line", (ZERO, ZERO))
    credited, credited_tax = sums.get("credit_note", (ZERO, ZERO))
    revenue = net - credited
    invoiced_total = net + tax
    collected = sums.get("payment", (ZERO, ZERO))[0]
    wholesale = sums.get("wholesale", (ZERO, ZERO))[0]
    live = live_at(conn, r, start, customers)
    lost = churned(conn, r, start, end, customers)
    months = months_in(start, end)
    invoiced_customers = customers_invoiced(conn, r, currency, start, end)
    arpu_exact = None if invoiced_customers == 0 else revenue / invoiced_customers / months
    churn_exact = None if live == 0 else Decimal(lost) / live
    clv = None
    if arpu_exact is not None and churn_exact:
        clv = round_half_up(arpu_exact / (churn_exact / months), currency).amount
    return {
        "start": start,
        "end": end,
        "months": months,
        "invoiced_net": net,
        "tax": tax,
        "invoiced_total": invoiced_total,
        "credit_notes": credited,
        "credit_notes_tax": credited_tax,
        "revenue": revenue,
        "collected": collected,
        "collection_rate": ratio(collected, invoiced_total),
        "refunds": sums.get("refund", (ZERO, ZERO))[0],
        "commission": sums.get("commission", (ZERO, ZERO))[0],
        "wholesale_cost": wholesale,
        "gross_margin": revenue - wholesale,
        "outstanding_receivables": receivables_at(conn, r, currency, end),
        "live_at_start": live,
        "new_customers": new_customers(conn, r, start, end, customers),
        "churned_customers": lost,
        "churn_rate": None if churn_exact is None else ratio(lost, live),
        "churned_monthly_revenue": churned_monthly_revenue(
            conn, r, currency, start, end, customers
        ),
        "customers_invoiced": invoiced_customers,
        "arpu": None if arpu_exact is None else round_half_up(arpu_exact, currency).amount,
        "clv": clv,
    }


RATIO_KEYS = frozenset({"collection_rate", "churn_rate"})


def jsonable_metrics(metrics: dict[str, Any], currency: str) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, Decimal):
            shaped[key] = str(value) if key in RATIO_KEYS else exact(value, currency)
        elif isinstance(value, date):
            shaped[key] = value.isoformat()
        else:
            shaped[key] = value
    return shaped


CLV_NOTE = (
    "clv is null when no customer churned in the period (an unbounded lifetime) or none was "
    "invoiced"
)


def financial_dashboard(
    conn: Connection[Any], info: ResellerInfo, granularity: str, date_from: date, date_to: date
) -> dict[str, Any]:
    rows = []
    for label, start, end in periods(granularity, date_from, date_to):
        metrics = period_metrics(conn, info, start, end)
        shaped = {"period": label} | jsonable_metrics(metrics, info.currency)
        shaped["commission_breakdown"] = commission_breakdown(
            conn, info.reseller_id, info.currency, start, end
        )
        rows.append(shaped)
    totals = jsonable_metrics(period_metrics(conn, info, date_from, date_to), info.currency)
    totals["commission_breakdown"] = commission_breakdown(
        conn, info.reseller_id, info.currency, date_from, date_to
    )
    return {
        "reseller_id": info.reseller_id,
        "reseller_name": info.name,
        "currency": info.currency,
        "granularity": granularity,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "periods": rows,
        "totals": totals,
        "notes": [CLV_NOTE],
    }


# -- the dashboard ----------------------------------------------------------------------------


def dashboard(
    conn: Connection[Any],
    info: ResellerInfo,
    today: date,
    credit: dict[str, Any] | None,
    recent_activity: list[dict[str, Any]],
    months: int = 12,
) -> dict[str, Any]:
    r, currency = info.reseller_id, info.currency
    by_status = customers_by_status(conn, r)
    growth = []
    series = []
    for back in range(months - 1, -1, -1):
        start = month_start(today, back)
        end = min(_period_end(start, "month"), today)
        sums = money_sums(conn, r, currency, start, end)
        revenue = (
            sums.get("invoice_line", (ZERO, ZERO))[0] - sums.get("credit_note", (ZERO, ZERO))[0]
        )
        commission = sums.get("commission", (ZERO, ZERO))[0]
        label = _label(start, "month")
        growth.append({"month": label, **growth_row(conn, r, start, end)})
        series.append(
            {
                "month": label,
                "revenue": exact(revenue, currency),
                "commission": exact(commission, currency),
            }
        )
    this, previous = series[-1], series[-2] if len(series) > 1 else None

    def trend(key: str) -> dict[str, Any]:
        now = Decimal(this[key])
        before = Decimal(previous[key]) if previous else ZERO
        return {
            "this_month": this[key],
            "previous_month": None if previous is None else previous[key],
            "change": text(None if before == 0 else ratio(now - before, before)),
        }

    allocation_current = sum(n for s, n in by_status.items() if s != "inactive")
    limit = info.customer_limit
    owing = _scalar(
        conn,
        pgsql.SQL(
            "SELECT count(*) FROM (SELECT customer_id FROM {}.money_facts WHERE reseller_id = %s"
            " AND currency = %s AND kind = 'receivable' GROUP BY customer_id"
            " HAVING sum(amount) > 0) owing"
        ).format(SCHEMA),
        (r, currency),
    )
    return {
        "reseller_id": r,
        "reseller_name": info.name,
        "currency": currency,
        "as_of": today.isoformat(),
        "customers": {"total": sum(by_status.values()), "by_status": by_status},
        "customer_growth": growth,
        "revenue": trend("revenue"),
        "commission": trend("commission"),
        "monthly_series": series,
        "service_distribution": service_distribution(conn, r),
        "support": {
            "tracked": False,
            "open_tickets": None,
            "note": "support tickets are not tracked by this service yet",
        },
        "credit": None
        if credit is None
        else {
            k: credit[k]
            for k in ("credit_limit", "balance", "available", "utilization", "currency")
        },
        "customer_allocation": {
            "current": allocation_current,
            "maximum": limit,
            "utilization": text(None if not limit else ratio(allocation_current, limit)),
        },
        "outstanding_payments": {
            "receivables": exact(receivables_at(conn, r, currency, today), currency),
            "customers_owing": int(owing or 0),
        },
        "recent_activity": recent_activity,
    }


# -- reports --------------------------------------------------------------------------------


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


def _key_column(group_by: str) -> Column:
    return Column({"service": "service", "type": "commission_type"}.get(group_by, "period"),
                  group_by.replace("_", " ").title(), "text")  # fmt: skip


def exact(value: Decimal | str, currency: str) -> str:
    """A sum of recorded amounts shown at the currency's scale (0 -> "0.00"); whole minor
    units stay as they are, so this never rounds them."""
    return str(round_half_up(Decimal(value), currency).amount)


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


def list_schedules(conn: Connection[Any], reseller_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        pgsql.SQL(
            "SELECT schedule_id, kind, format, frequency, group_by, service, status, created_on,"
            " active FROM {}.schedules WHERE reseller_id = %s ORDER BY created_on, schedule_id"
        ).format(SCHEMA),
        (reseller_id,),
    ).fetchall()
    keys = ("schedule_id", "kind", "format", "frequency", "group_by", "service", "status")
    return [
        dict(zip(keys, (str(r[0]), *r[1:7]), strict=True))
        | {"created_on": r[7].isoformat(), "active": r[8], "reseller_id": reseller_id}
        for r in rows
    ]


def active_schedules(conn: Connection[Any], limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        pgsql.SQL(
            "SELECT schedule_id, reseller_id, kind, format, frequency, group_by, service, status"
            " FROM {}.schedules WHERE active ORDER BY schedule_id LIMIT %s"
        ).format(SCHEMA),
        (limit,),
    ).fetchall()
    keys = ("schedule_id", "reseller_id", "kind", "format", "frequency", "group_by", "service",
            "status")  # fmt: skip
    return [dict(zip(keys, (str(r[0]), *r[1:]), strict=True)) for r in rows]


def schedule_by_id(conn: Connection[Any], schedule_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        pgsql.SQL(
            "SELECT schedule_id, reseller_id, kind, format, frequency, group_by, service, status,"
            " active FROM {}.schedules WHERE schedule_id = %s"
        ).format(SCHEMA),
        (schedule_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("schedule_id", "reseller_id", "kind", "format", "frequency", "group_by", "service",
            "status", "active")  # fmt: skip
    return dict(zip(keys, (str(row[0]), *row[1:]), strict=True))
