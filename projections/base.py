"""What a projector is, and how a batch of envelopes is applied exactly once in effect.

Each projector owns one PostgreSQL schema: its read-model tables plus two tracking tables.
`tenant_position` holds, per tenant, the position of the last event applied; since every
tenant's events reach a projector in order (one Kafka partition key per tenant, or the store's
log), an event at or below it is a redelivery and is skipped. `feed_position` holds how far the
store feed has read. Rows and positions change in the same transaction, batch by batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar
from uuid import UUID

import structlog
from psycopg import Connection, Cursor
from psycopg import sql as pgsql

from projections import locks
from projections.envelope import Envelope, storable
from projections.parking import (
    PARKED_DDL,
    HandlerFailed,
    error_text,
    is_transient,
    park,
    parked_in,
)
from projections.personal import ERASURE_EVENTS, Unsealer, open_envelope

log = structlog.get_logger(__name__)

Handler = Callable[[Cursor[Any], pgsql.Identifier, Envelope], None]
STORE_FEED = "store"


class TenantGap(Exception):
    """An envelope says its tenant had an event this projector never saw (e.g. a broker that
    lost data): the missing events must come from the store first."""

    def __init__(self, tenant: int, applied: int, envelope: Envelope) -> None:
        super().__init__(
            f"tenant {tenant}: applied up to {applied}, but event {envelope.position} follows "
            f"{envelope.tenant_previous}"
        )
        self.tenant = tenant
        self.applied = applied
        self.envelope = envelope


class Projector:
    """One read model. Subclasses set `name`, `tables` and `ddl`, and map event types to
    handlers in `handlers`."""

    name: ClassVar[str]
    tables: ClassVar[tuple[tuple[str, str], ...]]
    """Read-model tables with their ordering key, compared by `replays.diff`."""
    ddl: ClassVar[tuple[str, ...]]
    """CREATE statements with `{schema}` where the schema name goes."""
    handlers: ClassVar[dict[str, Handler]]
    fallback: ClassVar[Handler | None] = None
    """Called for event types without a handler of their own (e.g. anything with postings)."""

    @classmethod
    def live_schema(cls) -> str:
        return f"proj_{cls.name}"

    @classmethod
    def create(cls, conn: Connection[Any], schema: str) -> None:
        ident = pgsql.Identifier(schema)
        with conn.transaction():
            conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
            for statement in (*TRACKING_DDL, *cls.ddl):
                conn.execute(pgsql.SQL(statement).format(schema=ident))


TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.tenant_position "
    "(tenant bigint PRIMARY KEY, position bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {schema}.feed_position "
    "(feed text PRIMARY KEY, position bigint NOT NULL)",
    *PARKED_DDL,
)


def projector_lock_key(projector: type[Projector]) -> int:
    return locks.projector_lock_key(projector.name)


def _lock_positions(
    cur: Cursor[Any], schema: pgsql.Identifier, tenants: Iterable[int]
) -> dict[int, int]:
    tenant_list = sorted(set(tenants))
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.tenant_position (tenant, position) "
            "SELECT unnest(%s::bigint[]), 0 ON CONFLICT DO NOTHING"
        ).format(schema),
        (tenant_list,),
    )
    cur.execute(
        pgsql.SQL(
            "SELECT tenant, position FROM {}.tenant_position WHERE tenant = ANY(%s) "
            "ORDER BY tenant FOR UPDATE"
        ).format(schema),
        (tenant_list,),
    )
    return {int(row[0]): int(row[1]) for row in cur.fetchall()}


def apply_batch(
    conn: Connection[Any],
    projector: type[Projector],
    envelopes: Sequence[Envelope],
    schema: str | None = None,
    feed_position: int | None = None,
    check_gaps: bool = False,
    unsealer: Unsealer | None = None,
    resume: frozenset[int] = frozenset(),
) -> int:
    """Apply envelopes in one transaction; returns how many were applied (not skipped).

    With `check_gaps`, an envelope whose `tenant_previous` is beyond what was applied raises
    `TenantGap` and the whole batch rolls back. `feed_position` records the store feed's read
    position in the same transaction. With `unsealer`, personal values are opened first.

    A handler that raises (other than a transient database error) parks its tenant (see
    `projections.parking`): the batch is rolled back and applied again without that tenant's
    events from the failing one on, so every other tenant's events still apply, in order.
    Parked tenants' events are skipped, except for tenants in `resume` (a retry).
    """
    ident = pgsql.Identifier(schema or projector.live_schema())
    failed: dict[int, HandlerFailed] = {}
    while True:
        try:
            return _apply_once(
                conn,
                projector,
                envelopes,
                ident,
                feed_position,
                check_gaps,
                unsealer,
                resume,
                failed,
            )
        except HandlerFailed as failure:
            tenant = failure.envelope.tenant
            if tenant in failed:  # cannot happen: its events are skipped on the next attempt
                raise
            failed[tenant] = failure
            log.error(
                "projector.tenant_parked",
                projector=projector.name,
                schema=ident.as_string(),
                tenant=tenant,
                position=failure.envelope.position,
                event_type=failure.envelope.event_type,
                error=error_text(failure.error),
            )


def _apply_once(
    conn: Connection[Any],
    projector: type[Projector],
    envelopes: Sequence[Envelope],
    ident: pgsql.Identifier,
    feed_position: int | None,
    check_gaps: bool,
    unsealer: Unsealer | None,
    resume: frozenset[int],
    failed: dict[int, HandlerFailed],
) -> int:
    applied = 0
    with conn.transaction(), conn.cursor() as cur:
        # Shared with other batches, exclusive for a rebuild's swap (see replays.rebuild).
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (projector_lock_key(projector),))
        positions = _lock_positions(cur, ident, (e.tenant for e in envelopes))
        # Read once the tenants are locked, so a retry's unparking is seen (projections.resume).
        waiting = parked_in(cur, ident, positions) - resume
        changed: set[int] = set()
        for envelope in envelopes:
            current = positions[envelope.tenant]
            failure = failed.get(envelope.tenant)
            if (
                envelope.tenant in waiting
                or envelope.position <= current
                or (failure is not None and envelope.position >= failure.envelope.position)
            ):
                if unsealer is not None and envelope.event_type in ERASURE_EVENTS:
                    unsealer.forget(UUID(envelope.aggregate_id))  # as opening it would
                continue
            previous = envelope.tenant_previous
            if check_gaps and previous is not None and previous > current:
                raise TenantGap(envelope.tenant, current, envelope)
            handler = projector.handlers.get(envelope.event_type, projector.fallback)
            if handler is not None:
                try:
                    opened = envelope if unsealer is None else open_envelope(envelope, unsealer)
                    handler(cur, ident, storable(opened))
                except Exception as error:
                    if is_transient(error, conn):
                        raise
                    raise HandlerFailed(envelope, error) from error
                applied += 1
            positions[envelope.tenant] = envelope.position
            changed.add(envelope.tenant)
        if changed:
            cur.executemany(
                pgsql.SQL("UPDATE {}.tenant_position SET position = %s WHERE tenant = %s").format(
                    ident
                ),
                [(positions[t], t) for t in sorted(changed)],
            )
        for tenant in sorted(failed):
            park(cur, ident, failed[tenant].envelope, failed[tenant].error)
        if feed_position is not None:
            cur.execute(
                pgsql.SQL(
                    "INSERT INTO {}.feed_position (feed, position) VALUES (%s, %s) "
                    "ON CONFLICT (feed) DO UPDATE SET position = "
                    "GREATEST(feed_position.position, EXCLUDED.position)"
                ).format(ident),
                (STORE_FEED, feed_position),
            )
    return applied


def feed_position(
    conn: Connection[Any], projector: type[Projector], schema: str | None = None
) -> int:
    ident = pgsql.Identifier(schema or projector.live_schema())
    row = conn.execute(
        pgsql.SQL("SELECT position FROM {}.feed_position WHERE feed = %s").format(ident),
        (STORE_FEED,),
    ).fetchone()
    return int(row[0]) if row else 0


def tenant_positions(
    conn: Connection[Any], projector: type[Projector], schema: str | None = None
) -> dict[int, int]:
    ident = pgsql.Identifier(schema or projector.live_schema())
    rows = conn.execute(pgsql.SQL("SELECT tenant, position FROM {}.tenant_position").format(ident))
    return {int(t): int(p) for t, p in rows.fetchall()}


def _is_parked(conn: Connection[Any], ident: pgsql.Identifier, tenant: int) -> bool:
    row = conn.execute(
        pgsql.SQL("SELECT 1 FROM {}.parked WHERE tenant = %s").format(ident), (tenant,)
    ).fetchone()
    return row is not None


def has_reached(
    conn: Connection[Any], projector: type[Projector], position: int, tenant: int | None
) -> bool:
    """True once the projection holds every event up to `position` (of `tenant`, or of every
    tenant when it is None), in either feed mode.

    Store feed: it has read past the position. Kafka feed: the tenant has been applied past the
    position, or the relay has published past it and each tenant concerned has been applied up
    to what the relay published for it (nothing of it at or below the position is missing).
    """
    ident = pgsql.Identifier(projector.live_schema())
    # The store feed reads past a parked tenant's events: for that tenant only its own
    # position counts.
    if feed_position(conn, projector) >= position and (
        tenant is None or not _is_parked(conn, ident, tenant)
    ):
        return True
    if tenant is not None:
        row = conn.execute(
            pgsql.SQL("SELECT position FROM {}.tenant_position WHERE tenant = %s").format(ident),
            (tenant,),
        ).fetchone()
        if row is not None and int(row[0]) >= position:
            return True
    present = conn.execute("SELECT to_regclass('ledger_relay.tenant_position')").fetchone()
    if present is None or present[0] is None:
        return False
    row = conn.execute(
        pgsql.SQL(
            "SELECT coalesce((SELECT position FROM ledger_relay.position WHERE id = 1), 0) >= %s "
            "AND NOT EXISTS (SELECT 1 FROM ledger_relay.tenant_position r "
            "LEFT JOIN {}.tenant_position t ON t.tenant = r.tenant "
            "WHERE (%s::bigint IS NULL OR r.tenant = %s) "
            "AND coalesce(t.position, 0) < LEAST(r.position, %s))"
        ).format(ident),
        (position, tenant, tenant, position),
    ).fetchone()
    return bool(row and row[0])
