"""The metric SQL of dashboards and reports: queries over the reporting read model, and the
figures of one period.

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
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from domain.ledger.money import round_half_up
from domain.reporting.schedule import (
    CUSTOMER_STATUSES,
    SERVICE_STATUSES,
)
from projections.reporting.figures import ZERO, exact, ratio
from projections.reporting.periods import months_in
from projections.reporting.read_model import LIVE_STATUSES, ReportingProjector

SCHEMA = pgsql.Identifier(ReportingProjector.live_schema())


def scalar(conn: Connection[Any], query: pgsql.SQL | pgsql.Composed, params: Sequence[Any]) -> Any:
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
    total = scalar(
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
        scalar(
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
    return int(scalar(conn, query, [reseller_id, day, *extra]))


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
    return int(scalar(conn, query, [reseller_id, day, *extra]))


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
    return int(scalar(conn, query + clause, [reseller_id, start, end, *extra]))


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
    return int(scalar(conn, query + clause, [reseller_id, start, end, *extra]))


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
    return int(scalar(conn, query + clause, [reseller_id, start, end, *extra]))


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
    return Decimal(scalar(conn, query + clause, [currency, reseller_id, start, end, *extra]))


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
