"""Queries over the `support` projection: ticket lists (a reseller's, the master ISP's
escalation queue), a ticket's history, knowledge-base search, and support metrics."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.support.projector import SupportProjector

ISP_LEVELS = ("level_3", "emergency")
OPEN = ("new", "assigned", "in_progress", "pending_customer", "escalated")


def _schema() -> pgsql.Identifier:
    return pgsql.Identifier(SupportProjector.live_schema())


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "ticket_id": str(row["ticket_id"]),
        "number": row["number"],
        "reseller_id": row["reseller_id"],
        "source": row["source"],
        "customer_id": None if row["customer_id"] is None else str(row["customer_id"]),
        "portal_id": row["portal_id"],
        "subject": row["subject"],
        "category": row["category"],
        "priority": row["priority"],
        "status": row["status"],
        "level": row["level"],
        "assignee_user_id": row["assignee"],
        "queue": row["queue"],
        "opened_at": _iso(row["opened_at"]),
        "first_response_at": _iso(row["first_response_at"]),
        "resolved_at": _iso(row["resolved_at"]),
        "closed_at": _iso(row["closed_at"]),
        "first_response_breached": row["first_response_breached"],
        "resolution_breached": row["resolution_breached"],
        "version": row["version"],
    }


def list_tickets(
    conn: Connection[Any],
    reseller_ids: list[int] | None,
    filters: dict[str, Any],
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A page of tickets of the given resellers (None: all, for the ISP's queue), filtered by
    exact values of status, priority, category, level, assignee, queue or portal_id; with
    `isp_queue`, only tickets escalated to the master ISP (level 3 and emergency)."""
    where: list[pgsql.Composable] = [pgsql.SQL("true")]
    params: list[Any] = []
    if reseller_ids is not None:
        where.append(pgsql.SQL("reseller_id = ANY(%s)"))
        params.append(reseller_ids)
    if filters.pop("isp_queue", False):
        where.append(pgsql.SQL("level = ANY(%s)"))
        params.append(list(ISP_LEVELS))
    if filters.pop("open_only", False):
        where.append(pgsql.SQL("status = ANY(%s)"))
        params.append(list(OPEN))
    for column in ("status", "priority", "category", "level", "assignee", "queue", "portal_id"):
        value = filters.get(column)
        if value is not None:
            where.append(pgsql.SQL("{} = %s").format(pgsql.Identifier(column)))
            params.append(value)
    condition = pgsql.SQL(" AND ").join(where)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT count(*) AS n FROM {}.tickets WHERE {}").format(_schema(), condition),
            params,
        )
        counted = cur.fetchone()
        cur.execute(
            pgsql.SQL(
                "SELECT * FROM {}.tickets WHERE {} ORDER BY opened_at, ticket_id LIMIT %s OFFSET %s"
            ).format(_schema(), condition),
            [*params, limit, offset],
        )
        rows = cur.fetchall()
    return {
        "items": [_row(r) for r in rows],
        "total": int(counted["n"]) if counted else 0,
        "limit": limit,
        "offset": offset,
    }


def ticket_reseller(conn: Connection[Any], ticket_id: str) -> int | None:
    row = conn.execute(
        pgsql.SQL("SELECT reseller_id FROM {}.tickets WHERE ticket_id = %s").format(_schema()),
        (ticket_id,),
    ).fetchone()
    return None if row is None else int(row[0])


def ticket_history(conn: Connection[Any], ticket_id: str) -> list[dict[str, Any]]:
    """Every event of the ticket, oldest first, with who did it (user, role, realm)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.history WHERE ticket_id = %s ORDER BY position").format(
                _schema()
            ),
            (ticket_id,),
        )
        rows = cur.fetchall()
    return [
        {
            "position": r["position"],
            "event": r["event_type"],
            "actor": r["actor"],
            "role": r["role"],
            "realm": r["realm"],
            "at": _iso(r["at"]),
            "details": json.loads(r["details"]),
        }
        for r in rows
    ]


def search_articles(
    conn: Connection[Any],
    reseller_id: int | None,
    query: str | None,
    category: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Articles a reseller may read (the master ISP's plus its own; `reseller_id` None: the
    ISP's only), best match first for a `websearch_to_tsquery` query."""
    where = [pgsql.SQL("(reseller_id IS NULL OR reseller_id = %(reseller)s)")]
    params: dict[str, Any] = {"reseller": reseller_id, "limit": limit, "offset": offset}
    rank = pgsql.SQL("0")
    if query:
        where.append(pgsql.SQL("search @@ websearch_to_tsquery('english', %(q)s)"))
        rank = pgsql.SQL("ts_rank(search, websearch_to_tsquery('english', %(q)s))")
        params["q"] = query
    if category is not None:
        where.append(pgsql.SQL("category = %(category)s"))
        params["category"] = category
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT *, {rank} AS rank FROM {schema}.articles WHERE {where}"
                " ORDER BY rank DESC, updated_at DESC, article_id LIMIT %(limit)s OFFSET %(offset)s"
            ).format(rank=rank, schema=_schema(), where=pgsql.SQL(" AND ").join(where)),
            params,
        )
        rows = cur.fetchall()
    return [
        {
            "article_id": str(r["article_id"]),
            "owner": "isp" if r["reseller_id"] is None else "reseller",
            "reseller_id": r["reseller_id"],
            "kind": r["kind"],
            "category": r["category"],
            "title": r["title"],
            "body": r["body"],
            "tags": list(r["tags"]),
            "rank": round(float(r["rank"]), 6),
            "version": r["version"],
        }
        for r in rows
    ]


def nearest_rank(values: list[Decimal], fraction: float) -> Decimal | None:
    """The nearest-rank percentile (PostgreSQL's `percentile_disc`)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


METRICS_SQL = """
SELECT
  count(*) FILTER (WHERE status = ANY(%(open)s)) AS open_total,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - opened_at))
    FILTER (WHERE first_response_at IS NOT NULL) AS first_response_median_s,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - opened_at))
    FILTER (WHERE first_response_at IS NOT NULL) AS first_response_p90_s,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
    FILTER (WHERE resolved_at IS NOT NULL) AS resolution_median_s,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
    FILTER (WHERE resolved_at IS NOT NULL) AS resolution_p90_s,
  count(*) FILTER (WHERE first_response_at IS NOT NULL AND NOT first_response_breached)
    AS first_response_met,
  count(*) FILTER (WHERE first_response_breached) AS first_response_breached,
  count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT resolution_breached) AS resolution_met,
  count(*) FILTER (WHERE resolution_breached) AS resolution_breached,
  count(*) AS total
FROM {schema}.tickets WHERE reseller_id = ANY(%(resellers)s)
"""


def _seconds(value: Any) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _share(met: int, breached: int) -> str | None:
    decided = met + breached
    if decided == 0:
        return None
    return str((Decimal(met) / Decimal(decided) * 100).quantize(Decimal("0.01")))


def support_metrics(conn: Connection[Any], reseller_ids: list[int]) -> dict[str, Any]:
    """Open tickets by status and priority; first-response and resolution times (seconds from
    opening, wall clock; median and p90 by nearest rank); SLA attainment (met / (met +
    breached), percent); per team member (the assignee)."""
    schema = _schema()
    params = {"open": list(OPEN), "resellers": reseller_ids}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(pgsql.SQL(METRICS_SQL).format(schema=schema), params)
        m = cur.fetchone() or {}
        cur.execute(
            pgsql.SQL(
                "SELECT status, priority, count(*) AS n FROM {}.tickets"
                " WHERE reseller_id = ANY(%(resellers)s) AND status = ANY(%(open)s)"
                " GROUP BY status, priority ORDER BY status, priority"
            ).format(schema),
            params,
        )
        by_status = cur.fetchall()
        cur.execute(
            pgsql.SQL(
                "SELECT assignee, count(*) FILTER (WHERE status = ANY(%(open)s)) AS open,"
                " count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,"
                " percentile_disc(0.5) WITHIN GROUP"
                " (ORDER BY extract(epoch FROM resolved_at - opened_at))"
                " FILTER (WHERE resolved_at IS NOT NULL) AS resolution_median_s,"
                " count(*) FILTER (WHERE first_response_breached OR resolution_breached)"
                " AS breached FROM {}.tickets WHERE reseller_id = ANY(%(resellers)s)"
                " AND assignee IS NOT NULL GROUP BY assignee ORDER BY assignee"
            ).format(schema),
            params,
        )
        members = cur.fetchall()
    open_by: dict[str, dict[str, int]] = {}
    for row in by_status:
        open_by.setdefault(row["status"], {})[row["priority"]] = int(row["n"])
    return {
        "tickets": int(m.get("total") or 0),
        "open": int(m.get("open_total") or 0),
        "open_by_status_priority": open_by,
        "first_response_s": {
            "median": _seconds(m.get("first_response_median_s")),
            "p90": _seconds(m.get("first_response_p90_s")),
        },
        "resolution_s": {
            "median": _seconds(m.get("resolution_median_s")),
            "p90": _seconds(m.get("resolution_p90_s")),
        },
        "sla_attainment_percent": {
            "first_response": _share(
                int(m.get("first_response_met") or 0), int(m.get("first_response_breached") or 0)
            ),
            "resolution": _share(
                int(m.get("resolution_met") or 0), int(m.get("resolution_breached") or 0)
            ),
        },
        "team": [
            {
                "assignee_user_id": r["assignee"],
                "open": int(r["open"]),
                "resolved": int(r["resolved"]),
                "resolution_median_s": _seconds(r["resolution_median_s"]),
                "breached": int(r["breached"]),
            }
            for r in members
        ],
    }


def dashboard_block(conn: Connection[Any], reseller_id: int) -> dict[str, Any]:
    """The dashboard's support block (seed §2.1 "Support Metrics"): open tickets by priority,
    open tickets that breached an SLA target, and the resolution median."""
    metrics = support_metrics(conn, [reseller_id])
    by_priority: dict[str, int] = {}
    for row in metrics["open_by_status_priority"].values():
        for priority, n in row.items():
            by_priority[priority] = by_priority.get(priority, 0) + n
    breached = conn.execute(
        pgsql.SQL(
            "SELECT count(*) FROM {}.tickets WHERE reseller_id = %s AND status = ANY(%s)"
            " AND (first_response_breached OR resolution_breached)"
        ).format(_schema()),
        (reseller_id, list(OPEN)),
    ).fetchone()
    return {
        "tracked": True,
        "open_tickets": metrics["open"],
        "open_by_priority": by_priority,
        "open_sla_breached": int(breached[0]) if breached else 0,
        "resolution_median_s": metrics["resolution_s"]["median"],
        "sla_attainment_percent": metrics["sla_attainment_percent"],
    }


def communications(
    conn: Connection[Any], customer_id: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """A customer's communication log (seed §3.4): every customer-visible message on any of
    their tickets, oldest first, with the ticket it belongs to (internal notes never)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT m.*, t.number, t.subject, t.reseller_id FROM {schema}.messages m"
                " JOIN {schema}.tickets t USING (ticket_id) WHERE m.customer_id = %s"
                " AND m.visibility = 'public' ORDER BY m.at, m.message_id LIMIT %s OFFSET %s"
            ).format(schema=_schema()),
            (customer_id, limit, offset),
        )
        rows = cur.fetchall()
    return [
        {
            "at": _iso(r["at"]),
            "channel": "ticket",
            "ticket_id": str(r["ticket_id"]),
            "ticket_number": r["number"],
            "subject": r["subject"],
            "message_id": str(r["message_id"]),
            "direction": "inbound" if r["author_kind"] == "customer" else "outbound",
            "author_kind": r["author_kind"],
            "body": r["body"],
            "attachments": r["attachments"],
        }
        for r in rows
    ]
