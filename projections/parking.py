"""Parked tenants: a projector that cannot apply one tenant's event sets that tenant aside.

An event the store accepted but a projector's handler cannot apply (a bug, a payload it chokes
on) must not stop the projection for everyone. `projections.base.apply_batch` rolls the batch
back, records the failure here and applies the batch again without that tenant's events from
the failing one on: the tenant is parked. Its position stays just before the failing event, so
its later events wait, in order, while every other tenant keeps projecting. Each projector
schema has its own `parked` table (so a rebuild parks the same way, into its shadow), and it
survives restarts. `projections.resume.retry_parked` (`ledger project --retry-parked`, and every
projector start) applies a parked tenant's events again and unparks it once they all apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import Connection, Cursor
from psycopg import sql as pgsql

from projections.envelope import Envelope, storable_text

PARKED_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.parked ("
    " tenant bigint PRIMARY KEY, position bigint NOT NULL, event_type text NOT NULL,"
    " aggregate_id text NOT NULL, error text NOT NULL, attempts integer NOT NULL,"
    " first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL)",
)
MAX_ERROR_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class ParkedTenant:
    tenant: int
    position: int
    """The event that could not be applied (the tenant's position stays just before it)."""
    event_type: str
    aggregate_id: str
    error: str
    attempts: int
    first_seen: datetime
    last_seen: datetime


class HandlerFailed(Exception):
    """A projector's handler raised on an envelope: its tenant is to be parked."""

    def __init__(self, envelope: Envelope, error: BaseException) -> None:
        super().__init__(f"tenant {envelope.tenant}, event {envelope.position}: {error!r}")
        self.envelope = envelope
        self.error = error


def is_transient(error: BaseException, conn: Connection[Any]) -> bool:
    """Errors that say nothing about the event (a lost connection, a deadlock, a timeout):
    the batch is retried by the feed as a whole, nobody is parked."""
    return conn.broken or isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


def error_text(error: BaseException) -> str:
    """What is recorded and logged. For a database error only its primary message: the detail
    can quote the row (e.g. "Failing row contains ..."), and personal data must stay out of
    places an erasure does not reach."""
    message = str(error)
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        message = f"{error.diag.message_primary} (SQLSTATE {error.diag.sqlstate})"
    text = f"{type(error).__name__}: {message}".strip()
    return storable_text(text)[:MAX_ERROR_CHARS]


def parked_in(cur: Cursor[Any], schema: pgsql.Identifier, tenants: Iterable[int]) -> set[int]:
    cur.execute(
        pgsql.SQL("SELECT tenant FROM {}.parked WHERE tenant = ANY(%s)").format(schema),
        (sorted(set(tenants)),),
    )
    return {int(row[0]) for row in cur.fetchall()}


def park(
    cur: Cursor[Any], schema: pgsql.Identifier, envelope: Envelope, error: BaseException
) -> None:
    """Record the failure; a tenant parked again keeps its first_seen and counts attempts."""
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {schema}.parked (tenant, position, event_type, aggregate_id, error,"
            " attempts, first_seen, last_seen) VALUES (%s, %s, %s, %s, %s, 1, now(), now())"
            " ON CONFLICT (tenant) DO UPDATE SET position = EXCLUDED.position,"
            " event_type = EXCLUDED.event_type, aggregate_id = EXCLUDED.aggregate_id,"
            " error = EXCLUDED.error, attempts = parked.attempts + 1, last_seen = now()"
        ).format(schema=schema),
        (
            envelope.tenant,
            envelope.position,
            envelope.event_type,
            envelope.aggregate_id,
            error_text(error),
        ),
    )


def unpark(conn: Connection[Any], schema: str, tenant: int) -> None:
    conn.execute(
        pgsql.SQL("DELETE FROM {}.parked WHERE tenant = %s").format(pgsql.Identifier(schema)),
        (tenant,),
    )


def parked_tenants(conn: Connection[Any], schema: str) -> dict[int, ParkedTenant]:
    rows = conn.execute(
        pgsql.SQL(
            "SELECT tenant, position, event_type, aggregate_id, error, attempts, first_seen,"
            " last_seen FROM {}.parked ORDER BY tenant"
        ).format(pgsql.Identifier(schema))
    ).fetchall()
    return {int(row[0]): ParkedTenant(*row) for row in rows}
