"""Rebuild a projection from the event store into a shadow schema, then swap it in atomically.

Readers keep seeing the old tables until the swap transaction commits; live batches wait for
the swap (they hold the projector's advisory lock shared, the swap holds it exclusively), and
the rebuild catches up to the head of the log inside that transaction, so nothing is lost.
An event the projector cannot apply parks its tenant in the rebuilt schema, exactly as the live
feed would (see projections.parking); the report names those tenants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.base import Projector, projector_lock_key
from projections.envelope import Store
from projections.feeds import catch_up_from_store
from projections.locks import BI_LOCK_KEY
from projections.parking import parked_tenants
from projections.reporting.bi import refresh_views


@dataclass(frozen=True, slots=True)
class RebuildReport:
    projector: str
    schema: str
    events: int
    seconds: float
    swapped: bool
    parked: tuple[int, ...] = ()
    """Tenants the projector could not apply (parked in the rebuilt schema, as live would)."""

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def drop_schema(conn: Connection[Any], schema: str) -> None:
    conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema)))


def rebuild(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    batch_size: int,
    target_schema: str | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    stop: int | None = None,
) -> RebuildReport:
    """Replay the whole log (or its events up to position `stop`) into a fresh schema. Without
    `target_schema` the result replaces the live projection; with one, it is left there for
    inspection (e.g. by an auditor). Only a full replay may replace the live projection."""
    live = projector.live_schema()
    shadow = target_schema or f"{live}__rebuild"
    if shadow == live:
        raise ValueError("the target schema must not be the live one")
    if stop is not None and target_schema is None:
        raise ValueError("a replay up to a position goes into a named schema, never live")
    started = time.perf_counter()
    drop_schema(conn, shadow)
    projector.create(conn, shadow)
    events = catch_up_from_store(
        store, conn, projector, batch_size, schema=shadow, stop=stop, on_batch=on_batch
    )
    swapped = False
    if target_schema is None:
        retired = f"{live}__retired"
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (projector_lock_key(projector),))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (BI_LOCK_KEY,))
            events += catch_up_from_store(store, conn, projector, batch_size, schema=shadow)
            drop_schema(conn, retired)
            conn.execute(
                pgsql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    pgsql.Identifier(live), pgsql.Identifier(retired)
                )
            )
            conn.execute(
                pgsql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    pgsql.Identifier(shadow), pgsql.Identifier(live)
                )
            )
            # The bi views still point at the retired tables; dropping them would drop the
            # views too, so point the views at the new tables first (grants are kept).
            refresh_views(conn)
            drop_schema(conn, retired)
        swapped = True
    schema = live if swapped else shadow
    return RebuildReport(
        projector.name,
        schema,
        events,
        time.perf_counter() - started,
        swapped,
        tuple(parked_tenants(conn, schema)),
    )
