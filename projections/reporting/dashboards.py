"""The dashboard and the financial dashboard (their credit and activity widgets come from
the credit-account and activity read models, passed in by the API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.reporting.figures import ZERO, exact, ratio, text
from projections.reporting.metrics import (
    CLV_NOTE,
    SCHEMA,
    ResellerInfo,
    commission_breakdown,
    customers_by_status,
    growth_row,
    jsonable_metrics,
    money_sums,
    period_metrics,
    receivables_at,
    scalar,
    service_distribution,
)
from projections.reporting.periods import month_start, period_end, period_label, periods

RECENT_ACTIVITY = 10


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
        end = min(period_end(start, "month"), today)
        sums = money_sums(conn, r, currency, start, end)
        revenue = (
            sums.get("invoice_line", (ZERO, ZERO))[0] - sums.get("credit_note", (ZERO, ZERO))[0]
        )
        commission = sums.get("commission", (ZERO, ZERO))[0]
        label = period_label(start, "month")
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
    owing = scalar(
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
