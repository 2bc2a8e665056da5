"""A checksum of a projection's contents: per table, the row count and a SHA-256 over its rows'
text forms in sorted order. Two copies of a projection (live and a rebuild, or a capture and
an as-of build) hold the same rows exactly when their checksums are equal. Tracking tables are
left out: they say how far a copy has read, not what it holds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.base import Projector

FETCH_ROWS = 5000


@dataclass(frozen=True, slots=True)
class TableChecksum:
    table: str
    rows: int
    sha256: str


def table_checksum(conn: Connection[Any], schema: str, table: str) -> TableChecksum:
    digest = hashlib.sha256()
    rows = 0
    query = pgsql.SQL('SELECT t::text FROM {}.{} t ORDER BY t::text COLLATE "C"').format(
        pgsql.Identifier(schema), pgsql.Identifier(table)
    )
    # The rows' text forms depend on session settings (time zone, date style): fix them.
    with conn.transaction():
        conn.execute("SET LOCAL TimeZone = 'UTC'")
        conn.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        with conn.cursor() as cur:
            cur.execute(query)
            while batch := cur.fetchmany(FETCH_ROWS):
                for (text,) in batch:
                    digest.update(text.encode())
                    digest.update(b"\n")
                    rows += 1
    return TableChecksum(table, rows, digest.hexdigest())


def projection_checksum(
    conn: Connection[Any], projector: type[Projector], schema: str | None = None
) -> dict[str, TableChecksum]:
    """Checksums of every read-model table of the projector (live schema by default)."""
    schema = schema or projector.live_schema()
    return {table: table_checksum(conn, schema, table) for table, _order in projector.tables}
