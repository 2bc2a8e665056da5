"""Commission records, shaped like the seed §5.1 JSON, for `GET /reseller/api/commissions`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope


def _calculated(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.commissions (commission_id, reseller_id, customer_id,"
            " commission_type, base_amount, commission_rate, commission_amount, currency,"
            " period_start, period_end, status, hold_until, source, adjusts, recorded_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.aggregate_id,
            d["reseller_number"],
            d["customer_id"],
            d["commission_type"],
            Decimal(d["base_amount"]["amount"]),
            Decimal(d["commission_rate"]),
            Decimal(d["commission_amount"]["amount"]),
            d["commission_amount"]["currency"],
            d["period_start"],
            d["period_end"],
            d.get("status", "calculated"),
            d.get("hold_until"),
            d.get("source"),
            d["adjusts"],
            e.timestamp,
        ),
    )


PAID_RATE = """(c.commission_rate - coalesce((SELECT max(b.commission_rate)
    FROM {schema}.commissions b WHERE b.source = c.source
    AND b.customer_id IS NOT DISTINCT FROM c.customer_id
    AND b.commission_type = c.commission_type AND b.base_amount = c.base_amount
    AND b.currency = c.currency AND b.period_start = c.period_start
    AND b.period_end = c.period_end AND b.commission_rate < c.commission_rate), 0))"""
"""The rate a record was actually paid at, for a row `c` of `{schema}.commissions`.

A record stores the rate of its reseller's plan (15% for a top-level reseller); along a chain
the reseller is paid only the difference to the rate below it (the pass-through share), so
its paid rate is its rate minus the highest lower rate among the records the same fact made
for the chain (same source, customer, type, base and period). The customer's own reseller has
none below and keeps its rate. Computed when read, so records stored before and after this
rule show the same, and no projection needs rebuilding. 99.99 x 15% = 14.99 for the reseller
whose child earns 8% (7.99) shows 7% (7.00): base x paid rate, rounded down, is within one
minor unit of the amount (the shares are differences of rounded-down cumulative amounts)."""


def paid_rate_sql(schema: str) -> str:
    return PAID_RATE.replace("{schema}", schema)


def _status(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.commissions SET status = %s WHERE commission_id = %s").format(schema),
        (e.data["to_status"], e.aggregate_id),
    )


class CommissionsProjector(Projector):
    name = "commissions"
    tables = (("commissions", "commission_id"),)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.commissions (commission_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, customer_id uuid, commission_type text NOT NULL,"
        " base_amount numeric NOT NULL, commission_rate numeric NOT NULL,"
        " commission_amount numeric NOT NULL, currency text NOT NULL, period_start date NOT NULL,"
        " period_end date NOT NULL, status text NOT NULL, hold_until date, source text,"
        " adjusts uuid, recorded_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS commissions_reseller ON {schema}.commissions"
        " (reseller_id, period_start)",
        "CREATE INDEX IF NOT EXISTS commissions_source ON {schema}.commissions"
        " (source, customer_id)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Commission.Calculated": _calculated,
        "Commission.StatusChanged": _status,
        "Commission.Voided": _status,
    }


def list_commissions(
    conn: Connection[Any],
    reseller_id: int,
    period_start: date | None,
    period_end: date | None,
    commission_type: str | None,
    status: str | None,
    customer_id: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    schema = pgsql.Identifier(CommissionsProjector.live_schema())
    query = pgsql.SQL(
        "SELECT c.*, {} AS paid_rate FROM {}.commissions c WHERE c.reseller_id = %s"
    ).format(pgsql.SQL(paid_rate_sql(CommissionsProjector.live_schema())), schema)
    params: list[Any] = [reseller_id]
    for clause, value in (
        (" AND c.period_end >= %s", period_start),
        (" AND c.period_start <= %s", period_end),
        (" AND c.commission_type = %s", commission_type),
        (" AND c.status = %s", status),
        (" AND c.customer_id = %s", customer_id),
    ):
        if value is not None:
            query += pgsql.SQL(clause)
            params.append(value)
    query += pgsql.SQL(
        " ORDER BY c.period_start, c.recorded_at, c.commission_id LIMIT %s OFFSET %s"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, [*params, limit, offset])
        rows = cur.fetchall()
    return [
        {
            "commission_id": str(r["commission_id"]),
            "reseller_id": r["reseller_id"],
            "customer_id": None if r["customer_id"] is None else str(r["customer_id"]),
            "commission_type": r["commission_type"],
            "base_amount": str(r["base_amount"]),
            "commission_rate": str(r["paid_rate"]),
            "commission_amount": str(r["commission_amount"]),
            "currency": r["currency"],
            "period_start": r["period_start"].isoformat(),
            "period_end": r["period_end"].isoformat(),
            "status": r["status"],
            "hold_until": None if r["hold_until"] is None else r["hold_until"].isoformat(),
            "adjusts": None if r["adjusts"] is None else str(r["adjusts"]),
        }
        for r in rows
    ]


def consolidated(
    conn: Connection[Any],
    reseller_ids: list[int],
    period_start: date | None,
    period_end: date | None,
) -> dict[str, Any]:
    """Commission per reseller and in total, by type and by status, over the given resellers
    (records overlapping the period). Sums are of recorded amounts, never re-derived; voided
    records are only in `by_status` (the journal reverses them)."""
    schema = pgsql.Identifier(CommissionsProjector.live_schema())
    query = pgsql.SQL(
        "SELECT reseller_id, currency, commission_type, status, count(*) AS records,"
        " sum(commission_amount) AS amount FROM {}.commissions WHERE reseller_id = ANY(%s)"
    ).format(schema)
    params: list[Any] = [reseller_ids]
    if period_start is not None:
        query += pgsql.SQL(" AND period_end >= %s")
        params.append(period_start)
    if period_end is not None:
        query += pgsql.SQL(" AND period_start <= %s")
        params.append(period_end)
    query += pgsql.SQL(" GROUP BY reseller_id, currency, commission_type, status")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        rows = cur.fetchall()

    def empty(currency: str) -> dict[str, Any]:
        return {"currency": currency, "records": 0, "total": Decimal(0), "by_type": {},
                "by_status": {}}  # fmt: skip

    per_reseller: dict[tuple[int, str], dict[str, Any]] = {}
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        for summary in (
            per_reseller.setdefault((row["reseller_id"], row["currency"]), empty(row["currency"])),
            totals.setdefault(row["currency"], empty(row["currency"])),
        ):
            summary["records"] += row["records"]
            # A voided record is reversed in the journal: it shows under by_status "voided"
            # and counts nowhere else, so total (and by_type) equal the journal's net payable.
            counted = row["status"] != "voided"
            if counted:
                summary["total"] += row["amount"]
            for group, key in (("by_type", "commission_type"), ("by_status", "status")):
                if group == "by_type" and not counted:
                    continue
                bucket = summary[group]
                bucket[row[key]] = bucket.get(row[key], Decimal(0)) + row["amount"]

    def shown(summary: dict[str, Any]) -> dict[str, Any]:
        return {
            **summary,
            "total": str(summary["total"]),
            "by_type": {k: str(v) for k, v in sorted(summary["by_type"].items())},
            "by_status": {k: str(v) for k, v in sorted(summary["by_status"].items())},
        }

    return {
        "resellers": [
            {"reseller_id": number, **shown(per_reseller[(number, currency)])}
            for number in reseller_ids
            for (n, currency) in sorted(per_reseller)
            if n == number
        ],
        "totals": [shown(totals[c]) for c in sorted(totals)],
    }
