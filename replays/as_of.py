"""Projections as known at an instant: rebuilt from the events recorded up to that instant.

"Recorded at" is the events table's `recorded_at` column (added by `infra.event_store`): the
database server's clock_timestamp() when the event's row was inserted. A save inserts its rows
while holding the table's exclusive lock and commits a few milliseconds later, so recorded_at
rises with the log's position and "everything recorded up to T" is a prefix of the log: the
events up to `position_at(T)`, the last position recorded at or before T. It is not the
event's own `timestamp` (the writing process's wall clock when the domain method ran, before
the save; concurrent writers may commit out of that order), nor any business date
(`effective_date`, `issued_on`: a backdated correction recorded after T carries a business
date before T, and stays out of a build as of T, as it was unknown then).

`build_as_of` writes such a projection into a schema (a named auditor copy, or a temporary one
that `projection_as_of` drops afterwards) and says where to query it: the projector's own
table names, in that schema.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.base import Projector
from projections.envelope import Store
from replays.rebuild import RebuildReport, drop_schema, rebuild

RECORDED_AT_COLUMN = "recorded_at"
"""Set by the database on insert (see `infra.event_store.ensure_recorded_at`)."""
REPLAY_MARK = "ledger replay:"
"""Starts the comment on every schema `ledger replay --schema` writes; only such a schema may
be overwritten by another replay."""
SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_SCHEMAS = frozenset({"public", "information_schema", "bi", "auth", "ledger_relay"})
RESERVED_PREFIXES = ("pg_", "proj_", "ledger")
TEMPORARY_PREFIX = "asof_tmp_"


class SchemaRefused(ValueError):
    """The schema name is invalid or belongs to something else (a live projection, the store,
    another tool's schema)."""


@dataclass(frozen=True, slots=True)
class AsOfBuild:
    projector: str
    schema: str
    """Query the projector's tables here, e.g. `<schema>.journal_lines`."""
    as_of: datetime
    position: int
    """The last event position included (0: nothing had been recorded yet)."""
    report: RebuildReport

    def table(self, name: str) -> pgsql.Composed:
        """The schema-qualified identifier of one of the projector's tables."""
        return pgsql.SQL("{}.{}").format(pgsql.Identifier(self.schema), pgsql.Identifier(name))


def _events_table(store: Store) -> pgsql.Identifier:
    recorder: Any = store.recorder
    return pgsql.Identifier(recorder.datastore.schema, recorder.events_table_name)


def position_at(store: Store, conn: Connection[Any], instant: datetime) -> int:
    """The last log position recorded at or before `instant` (0 when none was)."""
    if instant.tzinfo is None:
        raise ValueError("the instant must be timezone-aware (e.g. 2026-12-31T23:59:59Z)")
    row = conn.execute(
        pgsql.SQL("SELECT max(notification_id) FROM {} WHERE {} <= %s").format(
            _events_table(store), pgsql.Identifier(RECORDED_AT_COLUMN)
        ),
        (instant,),
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def check_auditor_schema(conn: Connection[Any], name: str) -> None:
    """Refuse a name that is not a plain identifier, is reserved (live projections and their
    shadows, the store, relay, auth and BI schemas, PostgreSQL's own) or names an existing
    schema that an earlier replay did not write."""
    if not SCHEMA_NAME.fullmatch(name):
        raise SchemaRefused(
            f"schema {name!r}: use 1-63 lowercase letters, digits and underscores, "
            "starting with a letter"
        )
    if name in RESERVED_SCHEMAS or name.startswith(RESERVED_PREFIXES):
        raise SchemaRefused(f"schema {name!r} is reserved for the ledger's own data")
    row = conn.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
        (name,),
    ).fetchone()
    if row is not None and not str(row[0] or "").startswith(REPLAY_MARK):
        raise SchemaRefused(f"schema {name!r} already exists and was not written by a replay")


def _mark(conn: Connection[Any], build: AsOfBuild) -> None:
    comment = (
        f"{REPLAY_MARK} {build.projector} as of {build.as_of.isoformat()} "
        f"(events up to position {build.position})"
    )
    conn.execute(
        pgsql.SQL("COMMENT ON SCHEMA {} IS {}").format(
            pgsql.Identifier(build.schema), pgsql.Literal(comment)
        )
    )


def build_as_of(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    as_of: datetime,
    schema: str | None = None,
    batch_size: int = 500,
    on_batch: Callable[[int, int], None] | None = None,
) -> AsOfBuild:
    """Build `projector` from the events recorded up to `as_of` into `schema` (checked with
    `check_auditor_schema`, replaced if an earlier replay wrote it), or into a new temporary
    schema when none is given (drop it with `replays.rebuild.drop_schema`, or use
    `projection_as_of`). The live projection is never touched."""
    if schema is None:
        schema = f"{TEMPORARY_PREFIX}{projector.name}_{uuid.uuid4().hex[:12]}"
    else:
        check_auditor_schema(conn, schema)
    position = position_at(store, conn, as_of)
    report = rebuild(
        store, conn, projector, batch_size, target_schema=schema, on_batch=on_batch, stop=position
    )
    build = AsOfBuild(projector.name, schema, as_of, position, report)
    _mark(conn, build)
    return build


@contextmanager
def projection_as_of(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    as_of: datetime,
    batch_size: int = 500,
) -> Iterator[AsOfBuild]:
    """A temporary build as of `as_of`, dropped when the block ends:

    with projection_as_of(store, conn, JournalProjector, instant) as built:
        conn.execute(SQL("SELECT ... FROM {}").format(built.table("journal_lines")))
    """
    build = build_as_of(store, conn, projector, as_of, None, batch_size)
    try:
        yield build
    finally:
        drop_schema(conn, build.schema)
