"""Compare two copies of a projection row by row (e.g. live against a fresh rebuild)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.base import Projector

MAX_SAMPLE_ROWS = 20


@dataclass
class TableDiff:
    table: str
    only_in_left: list[tuple[Any, ...]] = field(default_factory=list)
    only_in_right: list[tuple[Any, ...]] = field(default_factory=list)
    left_rows: int = 0
    right_rows: int = 0

    @property
    def equal(self) -> bool:
        return not self.only_in_left and not self.only_in_right


def _except(conn: Connection[Any], table: str, a: str, b: str) -> list[tuple[Any, ...]]:
    query = pgsql.SQL("SELECT * FROM {}.{} EXCEPT ALL SELECT * FROM {}.{} LIMIT %s").format(
        pgsql.Identifier(a), pgsql.Identifier(table), pgsql.Identifier(b), pgsql.Identifier(table)
    )
    return [tuple(row) for row in conn.execute(query, (MAX_SAMPLE_ROWS,)).fetchall()]


def _count(conn: Connection[Any], schema: str, table: str) -> int:
    query = pgsql.SQL("SELECT count(*) FROM {}.{}").format(
        pgsql.Identifier(schema), pgsql.Identifier(table)
    )
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def diff_schemas(
    conn: Connection[Any], projector: type[Projector], left: str, right: str
) -> list[TableDiff]:
    diffs = []
    for table, _order in projector.tables:
        diffs.append(
            TableDiff(
                table,
                only_in_left=_except(conn, table, left, right),
                only_in_right=_except(conn, table, right, left),
                left_rows=_count(conn, left, table),
                right_rows=_count(conn, right, table),
            )
        )
    return diffs
