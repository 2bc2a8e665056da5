"""Generated report files (scheduled reports): one row per schedule and period.

The unique (schedule, period start) key makes generation idempotent: a job that runs twice,
or two workers racing, store one file. Files are derived data (they can be made again from the
read models), so they live in a table, not in events.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from psycopg import Connection

from projections.locks import REPORT_FILES_TABLES_LOCK_KEY
from projections.reporting.exports import export
from projections.reporting.metrics import reseller_info
from projections.reporting.report_builders import build_report
from projections.reporting.report_model import ReportQuery

MAX_FILES_LISTED = 200
DDL = (
    "CREATE SCHEMA IF NOT EXISTS reports",
    "CREATE TABLE IF NOT EXISTS reports.files (file_id uuid PRIMARY KEY,"
    " reseller_id bigint NOT NULL, schedule_id uuid NOT NULL, kind text NOT NULL,"
    " format text NOT NULL, period_start date NOT NULL, period_end date NOT NULL,"
    " filename text NOT NULL, media_type text NOT NULL, size_bytes int NOT NULL,"
    " content bytea NOT NULL, created_at timestamptz NOT NULL,"
    " UNIQUE (schedule_id, period_start))",
    "CREATE INDEX IF NOT EXISTS files_reseller ON reports.files (reseller_id, created_at)",
)


def ensure_report_file_tables(conn: Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (REPORT_FILES_TABLES_LOCK_KEY,))
        for statement in DDL:
            conn.execute(statement)


def file_id_for(schedule_id: str, period_start: date) -> uuid.UUID:
    return uuid.uuid5(uuid.UUID(schedule_id), f"report-file:{period_start.isoformat()}")


def has_file(conn: Connection[Any], schedule_id: str, period_start: date) -> bool:
    row = conn.execute(
        "SELECT 1 FROM reports.files WHERE schedule_id = %s AND period_start = %s",
        (schedule_id, period_start),
    ).fetchone()
    return row is not None


def store_file(
    conn: Connection[Any],
    *,
    reseller_id: int,
    schedule_id: str,
    kind: str,
    file_format: str,
    period_start: date,
    period_end: date,
    filename: str,
    media_type: str,
    content: bytes,
    created_at: datetime,
) -> bool:
    """True when this call stored the file; False when the period already had one."""
    with conn.transaction():
        cursor = conn.execute(
            "INSERT INTO reports.files (file_id, reseller_id, schedule_id, kind, format,"
            " period_start, period_end, filename, media_type, size_bytes, content, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (schedule_id, period_start) DO NOTHING",
            (
                file_id_for(schedule_id, period_start),
                reseller_id,
                schedule_id,
                kind,
                file_format,
                period_start,
                period_end,
                filename,
                media_type,
                len(content),
                content,
                created_at,
            ),
        )
        return cursor.rowcount == 1


def list_files(
    conn: Connection[Any], reseller_id: int, schedule_id: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    query = (
        "SELECT file_id, schedule_id, kind, format, period_start, period_end, filename,"
        " media_type, size_bytes, created_at FROM reports.files WHERE reseller_id = %s"
    )
    params: list[Any] = [reseller_id]
    if schedule_id is not None:
        query += " AND schedule_id = %s"
        params.append(schedule_id)
    query += " ORDER BY period_start, created_at, file_id LIMIT %s OFFSET %s"
    rows = conn.execute(query, [*params, min(limit, MAX_FILES_LISTED), offset]).fetchall()
    return [
        {
            "file_id": str(r[0]),
            "schedule_id": str(r[1]),
            "kind": r[2],
            "format": r[3],
            "period_start": r[4].isoformat(),
            "period_end": r[5].isoformat(),
            "filename": r[6],
            "media_type": r[7],
            "size_bytes": r[8],
            "created_at": r[9].isoformat(),
            "reseller_id": reseller_id,
        }
        for r in rows
    ]


def get_file(conn: Connection[Any], file_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT reseller_id, filename, media_type, content FROM reports.files WHERE file_id = %s",
        (file_id,),
    ).fetchone()
    if row is None:
        return None
    return {
        "reseller_id": int(row[0]),
        "filename": row[1],
        "media_type": row[2],
        "content": bytes(row[3]),
    }


def generate_for_period(
    conn: Connection[Any],
    schedule: dict[str, Any],
    period_start: date,
    period_end: date,
    now: datetime,
) -> bool:
    """Build and store a schedule's report for one period, unless it already has one.
    True when a file was stored by this call."""
    if has_file(conn, schedule["schedule_id"], period_start):
        return False
    info = reseller_info(conn, schedule["reseller_id"])
    if info is None:
        raise LookupError(f"reseller {schedule['reseller_id']} is not projected yet")
    query = ReportQuery(
        kind=schedule["kind"],
        reseller_id=info.reseller_id,
        date_from=period_start,
        date_to=period_end,
        group_by=schedule["group_by"],
        service=schedule["service"],
        status=schedule["status"],
    )
    made = export(build_report(conn, info, query), schedule["format"], now)
    return store_file(
        conn,
        reseller_id=info.reseller_id,
        schedule_id=schedule["schedule_id"],
        kind=schedule["kind"],
        file_format=schedule["format"],
        period_start=period_start,
        period_end=period_end,
        filename=made.filename,
        media_type=made.media_type,
        content=made.content,
        created_at=now,
    )
