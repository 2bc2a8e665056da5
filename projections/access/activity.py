"""Per-user activity from event metadata: who did what, when (seed §7.3 team performance)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope


def _record(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    subject = e.actor.get("user") or ""
    if not subject.startswith(("user:", "token:")):
        return
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.actions (position, actor, actor_reseller_id, owner_reseller_id,"
            " event_type, aggregate_id, at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.position,
            subject,
            e.actor.get("reseller"),
            e.owner,
            e.event_type,
            e.aggregate_id,
            e.timestamp,
        ),
    )


class ActivityProjector(Projector):
    name = "activity"
    tables = (("actions", "position"),)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.actions ("
        " position bigint PRIMARY KEY, actor text NOT NULL, actor_reseller_id bigint,"
        " owner_reseller_id bigint, event_type text NOT NULL, aggregate_id uuid NOT NULL,"
        " at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS actions_reseller_at ON {schema}.actions"
        " (actor_reseller_id, at)",
    )
    handlers: ClassVar[dict[str, Handler]] = {}
    fallback = _record


def team_performance(
    conn: Connection[Any], reseller_id: int, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Per actor of a reseller over [since, until): logins, customer interactions, actions."""
    schema = pgsql.Identifier(ActivityProjector.live_schema())
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT actor,"
                " count(*) FILTER (WHERE event_type = 'ResellerUser.LoggedIn') AS logins,"
                " count(*) FILTER (WHERE event_type LIKE 'Customer.%%') AS customer_interactions,"
                " count(*) FILTER (WHERE event_type <> 'ResellerUser.LoggedIn') AS actions,"
                " max(at) AS last_activity_at"
                " FROM {}.actions WHERE actor_reseller_id = %s AND at >= %s AND at < %s"
                " GROUP BY actor ORDER BY actor"
            ).format(schema),
            (reseller_id, since, until),
        )
        rows = cur.fetchall()
    for row in rows:
        row["last_activity_at"] = row["last_activity_at"].isoformat()
    return rows


def recent_actions(conn: Connection[Any], reseller_id: int, limit: int) -> list[dict[str, Any]]:
    """The latest actions on or by a reseller's data, newest first (the dashboard's feed)."""
    schema = pgsql.Identifier(ActivityProjector.live_schema())
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT position, actor, event_type, aggregate_id, at FROM {}.actions"
                " WHERE owner_reseller_id = %s OR actor_reseller_id = %s"
                " ORDER BY position DESC LIMIT %s"
            ).format(schema),
            (reseller_id, reseller_id, limit),
        )
        rows = cur.fetchall()
    return [
        row | {"aggregate_id": str(row["aggregate_id"]), "at": row["at"].isoformat()}
        for row in rows
    ]
