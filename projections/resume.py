"""Resume parked tenants: apply their waiting events again, and unpark them once all apply.

While a retry catches a tenant up, the tenant stays parked, so live feeds keep skipping it and
nothing is applied out of order. The last step runs in one transaction holding the tenant's
position row: it applies whatever arrived meanwhile and removes the parked row, so a live batch
either skipped the tenant before it (and the retry applies that event) or sees it caught up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from psycopg import Connection
from psycopg import sql as pgsql

from projections.base import Projector, apply_batch, projector_lock_key
from projections.envelope import Store, read_envelopes
from projections.parking import ParkedTenant, parked_tenants, unpark
from projections.personal import unsealer_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    projector: str
    tenant: int
    resumed: bool
    applied: int
    still_parked: ParkedTenant | None


def retry_parked(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    batch_size: int,
    schema: str | None = None,
) -> list[RetryOutcome]:
    """Try every parked tenant of the projector once; returns what happened to each."""
    target = schema or projector.live_schema()
    return [
        _retry_tenant(store, conn, projector, parked, batch_size, target)
        for parked in parked_tenants(conn, target).values()
    ]


def _tenant_position(conn: Connection[Any], schema: str, tenant: int, lock: bool) -> int:
    row = conn.execute(
        pgsql.SQL("SELECT position FROM {}.tenant_position WHERE tenant = %s{}").format(
            pgsql.Identifier(schema), pgsql.SQL(" FOR UPDATE" if lock else "")
        ),
        (tenant,),
    ).fetchone()
    return int(row[0]) if row else 0


def _apply_tenant_from(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    tenant: int,
    after: int,
    batch_size: int,
    schema: str,
) -> tuple[int, bool]:
    """Apply the tenant's events after `after` up to the head; (applied, failed again)."""
    applied = 0
    position = after
    attempts = parked_tenants(conn, schema)[tenant].attempts
    while True:
        envelopes = read_envelopes(store, position, batch_size)
        if not envelopes:
            return applied, False
        position = envelopes[-1].position
        mine = [e for e in envelopes if e.tenant == tenant]
        if not mine:
            continue
        applied += apply_batch(
            conn,
            projector,
            mine,
            schema=schema,
            unsealer=unsealer_of(store),
            resume=frozenset({tenant}),
        )
        if parked_tenants(conn, schema)[tenant].attempts != attempts:
            return applied, True


def _retry_tenant(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    parked: ParkedTenant,
    batch_size: int,
    schema: str,
) -> RetryOutcome:
    tenant = parked.tenant
    after = _tenant_position(conn, schema, tenant, lock=False)
    applied, failed = _apply_tenant_from(store, conn, projector, tenant, after, batch_size, schema)
    if not failed:
        with conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock_shared(%s)", (projector_lock_key(projector),)
            )
            after = _tenant_position(conn, schema, tenant, lock=True)
            more, failed = _apply_tenant_from(
                store, conn, projector, tenant, after, batch_size, schema
            )
            applied += more
            if not failed:
                unpark(conn, schema, tenant)
    still = parked_tenants(conn, schema).get(tenant)
    log.warning(
        "projector.tenant_retried",
        projector=projector.name,
        tenant=tenant,
        resumed=still is None,
        applied=applied,
        error=None if still is None else still.error,
    )
    return RetryOutcome(projector.name, tenant, still is None, applied, still)
