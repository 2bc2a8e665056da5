"""The outbox relay: the store's notification log, in order, into Kafka, at least once.

Only one relay is active (a session advisory lock; a second relay waits). It reads events after
its recorded position, publishes them keyed by tenant (so each tenant's events share a partition
and stay in order) with acks=all and the idempotent producer, and only after the broker has
acknowledged the whole batch does it record the new position, and each tenant's last published
position, in one transaction. Every envelope names its tenant's previous position, so a consumer
can tell when something between them went missing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import PersistenceError
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from infra.event_store import LedgerStore
from projections.envelope import Envelope, read_envelopes
from projections.locks import RELAY_LOCK_KEY, RELAY_TABLES_LOCK_KEY
from projections.outage import MAX_BACKOFF_S, Outage

log = structlog.get_logger(__name__)

SEND_TIMEOUT_S = 30.0

RELAY_DDL = (
    "CREATE SCHEMA IF NOT EXISTS ledger_relay",
    "CREATE TABLE IF NOT EXISTS ledger_relay.position "
    "(id int PRIMARY KEY CHECK (id = 1), position bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_relay.tenant_position "
    "(tenant bigint PRIMARY KEY, position bigint NOT NULL)",
)


def ensure_relay_tables(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (RELAY_TABLES_LOCK_KEY,))
        for statement in RELAY_DDL:
            conn.execute(statement)


def published_positions(conn: psycopg.Connection[Any]) -> dict[int, int]:
    """Each tenant's last position the broker acknowledged."""
    rows = conn.execute("SELECT tenant, position FROM ledger_relay.tenant_position").fetchall()
    return {int(tenant): int(position) for tenant, position in rows}


def relay_position(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT position FROM ledger_relay.position WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ledger-relay-admin")
    try:
        if topic not in admin.list_topics():
            admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


class Relay:
    def __init__(
        self,
        store: LedgerStore,
        database_url: str,
        bootstrap: str,
        topic: str,
        partitions: int,
        batch_size: int,
        poll_s: float,
    ) -> None:
        self.store = store
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.batch_size = batch_size
        self.poll_s = poll_s
        self.kafka_outage = Outage("kafka", max_backoff_s=MAX_BACKOFF_S)

    def run(self, stopping: threading.Event) -> None:
        """Publish until `stopping` is set, riding out broker and database outages with a
        bounded backoff (each outage logged once). After a database outage the relay
        reconnects and takes the lock again (a session lock ends with its connection)."""
        database = Outage("database", max_backoff_s=MAX_BACKOFF_S)
        while not stopping.is_set():
            try:
                with psycopg.connect(self.database_url, autocommit=True) as conn:
                    ensure_relay_tables(conn)
                    if not self._become_active(conn, stopping):
                        return
                    database.recovered()
                    log.info("relay.active", topic=self.topic)
                    self._publish_while_connected(conn, stopping, database)
            except (psycopg.Error, PersistenceError, OSError) as error:
                stopping.wait(database.failed(error))

    def _publish_while_connected(
        self, conn: psycopg.Connection[Any], stopping: threading.Event, database: Outage
    ) -> None:
        kafka = self.kafka_outage
        while not stopping.is_set():
            try:
                self._publish_until_stopped(conn, stopping, database)
            except KafkaError as error:
                stopping.wait(kafka.failed(error))

    def _become_active(self, conn: psycopg.Connection[Any], stopping: threading.Event) -> bool:
        waiting_logged = False
        while not stopping.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_KEY,)).fetchone()
            if row and row[0]:
                return True
            if not waiting_logged:
                log.info("relay.waiting", reason="another relay is active")
                waiting_logged = True
            stopping.wait(1.0)
        return False

    def _publish_until_stopped(
        self, conn: psycopg.Connection[Any], stopping: threading.Event, database: Outage
    ) -> None:
        ensure_topic(self.bootstrap, self.topic, self.partitions)
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id="ledger-relay",
            acks="all",
            enable_idempotence=True,
            max_in_flight_requests_per_connection=5,
            linger_ms=2,
            batch_size=256 * 1024,
            retries=5,
            request_timeout_ms=10_000,
            delivery_timeout_ms=int(SEND_TIMEOUT_S * 1000),
        )
        try:
            position = relay_position(conn)
            tenants = published_positions(conn)
            while not stopping.is_set():
                envelopes = read_envelopes(self.store, position, self.batch_size)
                database.recovered()
                if not envelopes:
                    stopping.wait(self.poll_s)
                    continue
                started = time.perf_counter()
                position = self._publish_batch(conn, producer, envelopes, tenants)
                self.kafka_outage.recovered()
                log.debug(
                    "relay.published",
                    events=len(envelopes),
                    position=position,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
        finally:
            producer.close(timeout=5)

    def _publish_batch(
        self,
        conn: psycopg.Connection[Any],
        producer: KafkaProducer,
        envelopes: list[Envelope],
        tenants: dict[int, int],
    ) -> int:
        staged = dict(tenants)
        futures = []
        for envelope in envelopes:
            chained = replace(envelope, tenant_previous=staged.get(envelope.tenant, 0))
            staged[envelope.tenant] = envelope.position
            futures.append(
                producer.send(
                    self.topic, key=str(envelope.tenant).encode(), value=chained.to_json()
                )
            )
        producer.flush(timeout=SEND_TIMEOUT_S)
        for future in futures:
            future.get(timeout=SEND_TIMEOUT_S)  # raises if the broker did not acknowledge
        position = envelopes[-1].position
        changed = [(t, p) for t, p in staged.items() if tenants.get(t) != p]
        with conn.transaction():
            conn.execute(
                "INSERT INTO ledger_relay.position (id, position) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position",
                (position,),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO ledger_relay.tenant_position (tenant, position) VALUES (%s, %s) "
                    "ON CONFLICT (tenant) DO UPDATE SET position = EXCLUDED.position",
                    changed,
                )
        tenants.update(staged)
        return position
