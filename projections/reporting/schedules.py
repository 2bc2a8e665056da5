"""Report schedules as the reporting read model holds them."""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.reporting.metrics import SCHEMA


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
