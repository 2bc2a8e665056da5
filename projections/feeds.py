"""The two feeds that run projectors: the store's notification log, and Kafka.

The store feed reads the log after the projector's recorded feed position, in batches. The
Kafka feed consumes the relay's envelopes (one consumer group per projector); when an envelope
reveals a gap in its tenant's sequence, or when the consumer is idle while the relay reports
events the projection never got (a broker that lost its data), the missing events of that
tenant are read from the store. Kafka is the transport; the store stays the truth.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import PersistenceError
from kafka.errors import CommitFailedError, KafkaError
from psycopg import Connection

from projections.base import (
    Projector,
    TenantGap,
    apply_batch,
    feed_position,
    tenant_positions,
)
from projections.envelope import Envelope, Store, read_envelopes
from projections.outage import MAX_BACKOFF_S, Outage
from projections.parking import parked_tenants
from projections.personal import unsealer_of
from projections.resume import retry_parked

log = structlog.get_logger(__name__)

MAX_REPAIRS_PER_BATCH = 64


@dataclass
class FeedStats:
    """What a Kafka feed did: events applied from messages, and events fetched from the store
    to fill gaps (zero while the broker delivers everything)."""

    applied_from_kafka: int = 0
    repaired_from_store: int = 0


def catch_up_from_store(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    batch_size: int,
    schema: str | None = None,
    stop: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Apply everything after the feed position (up to `stop`); returns events read."""
    read = 0
    position = feed_position(conn, projector, schema)
    while True:
        envelopes = read_envelopes(store, position, batch_size, stop)
        if not envelopes:
            return read
        position = envelopes[-1].position
        apply_batch(
            conn,
            projector,
            envelopes,
            schema=schema,
            feed_position=position,
            unsealer=unsealer_of(store),
        )
        read += len(envelopes)
        if on_batch is not None:
            on_batch(len(envelopes), position)


def repair_tenant(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    tenant: int,
    after: int,
    up_to: int,
    batch_size: int,
    schema: str | None = None,
) -> int:
    """Apply the tenant's events in (after, up_to] straight from the store."""
    repaired = 0
    position = after
    while position < up_to:
        envelopes = read_envelopes(store, position, batch_size, stop=up_to)
        if not envelopes:
            break
        position = envelopes[-1].position
        mine = [e for e in envelopes if e.tenant == tenant]
        if mine:
            repaired += apply_batch(
                conn, projector, mine, schema=schema, unsealer=unsealer_of(store)
            )
    if repaired:
        log.warning(
            "projector.tenant_repaired",
            projector=projector.name,
            tenant=tenant,
            after=after,
            up_to=up_to,
            applied=repaired,
        )
    return repaired


def apply_with_repair(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    envelopes: Sequence[Envelope],
    batch_size: int,
    stats: FeedStats,
    schema: str | None = None,
) -> None:
    for _ in range(MAX_REPAIRS_PER_BATCH):
        try:
            stats.applied_from_kafka += apply_batch(
                conn,
                projector,
                envelopes,
                schema=schema,
                check_gaps=True,
                unsealer=unsealer_of(store),
            )
            return
        except TenantGap as gap:
            stats.repaired_from_store += repair_tenant(
                store,
                conn,
                projector,
                gap.tenant,
                gap.applied,
                gap.envelope.position - 1,
                batch_size,
                schema,
            )
    raise RuntimeError(f"{projector.name}: too many tenant gaps in one batch")


def reconcile_with_published(
    store: Store,
    conn: Connection[Any],
    projector: type[Projector],
    published: dict[int, int],
    batch_size: int,
) -> int:
    """Fetch from the store whatever the relay published that this projection lacks."""
    applied = tenant_positions(conn, projector)
    parked = parked_tenants(conn, projector.live_schema())
    repaired = 0
    for tenant, position in sorted(published.items()):
        if applied.get(tenant, 0) < position and tenant not in parked:
            repaired += repair_tenant(
                store, conn, projector, tenant, applied.get(tenant, 0), position, batch_size
            )
    return repaired


FEED_DATABASE_ERRORS: tuple[type[BaseException], ...] = (psycopg.Error, PersistenceError, OSError)
"""What a feed rides out with backoff: the database down, restarting, refusing connections
("too many clients") or a pool with no connection free in time (`PoolTimeout` is one)."""
FEED_KAFKA_ERRORS: tuple[type[BaseException], ...] = (KafkaError,)


def resume_parked(
    store: Store, conn: Connection[Any], projectors: Sequence[type[Projector]], batch_size: int
) -> None:
    """What a feed does when it starts: try every parked tenant again (a fixed projector then
    catches them up; see projections.parking)."""

    for projector in projectors:
        retry_parked(store, conn, projector, batch_size)


def run_store_feed(
    store: Store,
    connect: Callable[[], Connection[Any]],
    projectors: Sequence[type[Projector]],
    batch_size: int,
    poll_s: float,
    stopping: threading.Event,
    max_backoff_s: float = MAX_BACKOFF_S,
    database: Outage | None = None,
) -> None:
    """Keep every projector caught up with the store until `stopping` is set. A database
    error is retried on a new connection after a growing pause; each outage is logged once."""
    database = database if database is not None else Outage("database", poll_s, max_backoff_s)
    while not stopping.is_set():
        try:
            with connect() as conn:
                resume_parked(store, conn, projectors, batch_size)
                while not stopping.is_set():
                    read = 0
                    for projector in projectors:
                        read += catch_up_from_store(store, conn, projector, batch_size)
                    database.recovered()
                    if read == 0:
                        stopping.wait(poll_s)
        except FEED_DATABASE_ERRORS as error:
            stopping.wait(database.failed(error))


@dataclass
class FeedOutages:
    """The peers a Kafka feed depends on; shared by the feeds of one process, so that each
    outage is logged once per process."""

    database: Outage
    kafka: Outage

    @classmethod
    def new(cls, max_backoff_s: float = MAX_BACKOFF_S) -> FeedOutages:
        return cls(
            Outage("database", max_backoff_s=max_backoff_s),
            Outage("kafka", max_backoff_s=max_backoff_s),
        )


def run_kafka_feed(
    store: Store,
    connect: Callable[[], AbstractContextManager[Connection[Any]]],
    projector: type[Projector],
    consumer: Any,
    published_positions: Callable[[], dict[int, int]],
    batch_size: int,
    poll_ms: int,
    stopping: threading.Event,
    idle_polls_before_reconcile: int = 3,
    stats: FeedStats | None = None,
    outages: FeedOutages | None = None,
) -> None:
    """Consume envelopes for one projector until `stopping` is set.

    `consumer` is a kafka-python KafkaConsumer already subscribed with this projector's group;
    offsets are committed after the database transaction (they are only a hint: the positions
    in the database decide what is applied). `connect` gives a connection for one step (a
    pool's `connection`, shared by the process's feeds). The feed never ends on a broker or
    database outage: the step is retried after a bounded, growing pause.

    After `idle_polls_before_reconcile` polls in a row that applied nothing, whatever the relay
    has published (per tenant) beyond this projection is read from the store. "Applied
    nothing" includes polls that return no partition at all (a consumer re-joining its group,
    or never assigned one after the broker restarted empty) and polls that only redeliver
    events already applied: neither may keep the tail from being fetched.
    """
    stats = stats if stats is not None else FeedStats()
    outages = outages if outages is not None else FeedOutages.new()
    idle_polls = 0
    resumed = False
    while not stopping.is_set():
        try:
            if not resumed:
                with connect() as conn:
                    resume_parked(store, conn, [projector], batch_size)
                resumed = True
            envelopes = _poll_envelopes(consumer, projector, batch_size, poll_ms)
            outages.kafka.recovered()
            applied_before = stats.applied_from_kafka + stats.repaired_from_store
            if envelopes:
                with connect() as conn:
                    apply_with_repair(store, conn, projector, envelopes, batch_size, stats)
                _commit_offsets(consumer, projector)
            if stats.applied_from_kafka + stats.repaired_from_store > applied_before:
                idle_polls = 0
            else:
                idle_polls += 1
            if idle_polls >= idle_polls_before_reconcile:
                idle_polls = 0
                published = published_positions()
                with connect() as conn:
                    stats.repaired_from_store += reconcile_with_published(
                        store, conn, projector, published, batch_size
                    )
            elif not envelopes:
                continue  # nothing touched the database: no news about its outage
            outages.database.recovered()
        except FEED_KAFKA_ERRORS as error:
            stopping.wait(outages.kafka.failed(error))
        except FEED_DATABASE_ERRORS as error:
            stopping.wait(outages.database.failed(error))


def _poll_envelopes(
    consumer: Any, projector: type[Projector], batch_size: int, poll_ms: int
) -> list[Envelope]:
    batches = consumer.poll(timeout_ms=poll_ms, max_records=batch_size)
    envelopes: list[Envelope] = []
    for records in batches.values():
        for record in records:
            try:
                envelopes.append(Envelope.from_json(record.value))
            except (ValueError, TypeError) as error:
                log.error(
                    "projector.bad_message",
                    projector=projector.name,
                    offset=record.offset,
                    error=str(error),
                )
    return envelopes


def _commit_offsets(consumer: Any, projector: type[Projector]) -> None:
    """Offsets are a hint: a commit refused by a rebalance (the next owner re-reads, and
    skips what is applied) is no outage; a broker that cannot be reached is."""
    try:
        consumer.commit()
    except CommitFailedError as error:
        log.info("projector.commit_refused", projector=projector.name, error=repr(error))
