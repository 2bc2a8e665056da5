"""Where a stored aggregate's first event sits in the log: a replay's `Ledger-Position`.

A replayed command answers the position of its idempotency record, which was saved in the same
transaction as the command's events, after them, with the same tenant: so the caller can wait on
it in any feed mode (the head of the log may be another tenant's event, which a tenant-scoped
wait in Kafka mode never sees)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from psycopg import sql as pgsql


@runtime_checkable
class FirstPositions(Protocol):
    """A recorder that answers the lookup itself (the in-memory one of the handlers' unit
    tests); the PostgreSQL recorder is asked in SQL."""

    def first_position(self, originator_id: UUID) -> int | None: ...


def recorded_position(store: Any, aggregate_id: UUID) -> int | None:
    """The notification id of the aggregate's first event, or None if it is not stored."""
    recorder = store.recorder
    if isinstance(recorder, FirstPositions):
        return recorder.first_position(aggregate_id)
    table = pgsql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    query = pgsql.SQL(
        "SELECT notification_id FROM {} WHERE originator_id = %s "
        "ORDER BY originator_version LIMIT 1"
    ).format(table)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(query, (aggregate_id,))
        row = cursor.fetchone()
    return None if row is None else int(row["notification_id"])
