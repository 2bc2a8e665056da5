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


@dataclass
class ChangedRow:
    key: dict[str, Any]
    columns: dict[str, tuple[Any, Any]]
    """Each differing column with its (left, right) values."""


@dataclass
class KeyedTableDiff:
    """One table compared by its primary key: the keys only one side holds, and the keys both
    hold with different values (naming the columns that differ). Lists hold a sample of at most
    `MAX_SAMPLE_ROWS`; the counts are complete."""

    table: str
    key_columns: list[str]
    left_rows: int = 0
    right_rows: int = 0
    only_in_left: list[dict[str, Any]] = field(default_factory=list)
    only_in_right: list[dict[str, Any]] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    only_in_left_count: int = 0
    only_in_right_count: int = 0
    changed_count: int = 0

    @property
    def equal(self) -> bool:
        return not (self.only_in_left_count or self.only_in_right_count or self.changed_count)


def primary_key(conn: Connection[Any], schema: str, table: str) -> list[str]:
    """The table's primary-key columns in key order (empty when it has none)."""
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i"
        " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY k.n",
        (pgsql.Identifier(schema, table).as_string(conn),),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _keys_only_in(
    conn: Connection[Any], table: str, keys: list[str], a: str, b: str
) -> tuple[int, list[dict[str, Any]]]:
    key_list = pgsql.SQL(", ").join(pgsql.Identifier(k) for k in keys)
    missing = pgsql.SQL("SELECT {k} FROM {a}.{t} EXCEPT SELECT {k} FROM {b}.{t}").format(
        k=key_list, a=pgsql.Identifier(a), b=pgsql.Identifier(b), t=pgsql.Identifier(table)
    )
    count_row = conn.execute(pgsql.SQL("SELECT count(*) FROM ({}) m").format(missing)).fetchone()
    sample = conn.execute(
        pgsql.SQL("{} ORDER BY {} LIMIT %s").format(missing, key_list), (MAX_SAMPLE_ROWS,)
    ).fetchall()
    return int(count_row[0]) if count_row else 0, [dict(zip(keys, r, strict=True)) for r in sample]


def _changed(
    conn: Connection[Any], table: str, keys: list[str], left: str, right: str
) -> tuple[int, list[ChangedRow]]:
    join = pgsql.SQL(
        "FROM {l}.{t} l JOIN {r}.{t} r USING ({k}) WHERE to_jsonb(l) IS DISTINCT FROM to_jsonb(r)"
    ).format(
        l=pgsql.Identifier(left),
        r=pgsql.Identifier(right),
        t=pgsql.Identifier(table),
        k=pgsql.SQL(", ").join(pgsql.Identifier(k) for k in keys),
    )
    count_row = conn.execute(pgsql.SQL("SELECT count(*) {}").format(join)).fetchone()
    order = pgsql.SQL(", ").join(pgsql.SQL("l.{}").format(pgsql.Identifier(k)) for k in keys)
    sample = conn.execute(
        pgsql.SQL("SELECT to_jsonb(l), to_jsonb(r) {} ORDER BY {} LIMIT %s").format(join, order),
        (MAX_SAMPLE_ROWS,),
    ).fetchall()
    changes = []
    for left_row, right_row in sample:
        columns = {
            name: (left_row.get(name), right_row.get(name))
            for name in sorted(set(left_row) | set(right_row))
            if left_row.get(name) != right_row.get(name)
        }
        changes.append(ChangedRow({k: left_row[k] for k in keys}, columns))
    return int(count_row[0]) if count_row else 0, changes


def diff_by_key(
    conn: Connection[Any], projector: type[Projector], left: str, right: str
) -> list[KeyedTableDiff]:
    """Compare every table of the projector in two schemas row by row, by primary key. A table
    without a primary key is compared as whole rows (the row is its own key; its counts are
    those of the sample)."""
    diffs = []
    for table, _order in projector.tables:
        keys = primary_key(conn, left, table)
        result = KeyedTableDiff(
            table,
            keys,
            left_rows=_count(conn, left, table),
            right_rows=_count(conn, right, table),
        )
        if keys:
            result.only_in_left_count, result.only_in_left = _keys_only_in(
                conn, table, keys, left, right
            )
            result.only_in_right_count, result.only_in_right = _keys_only_in(
                conn, table, keys, right, left
            )
            result.changed_count, result.changed = _changed(conn, table, keys, left, right)
        else:
            whole = diff_schemas_table(conn, table, left, right)
            result.only_in_left = [{"row": row} for row in whole.only_in_left]
            result.only_in_right = [{"row": row} for row in whole.only_in_right]
            result.only_in_left_count = len(whole.only_in_left)
            result.only_in_right_count = len(whole.only_in_right)
        diffs.append(result)
    return diffs


def diff_schemas_table(conn: Connection[Any], table: str, left: str, right: str) -> TableDiff:
    return TableDiff(
        table,
        only_in_left=_except(conn, table, left, right),
        only_in_right=_except(conn, table, right, left),
    )
