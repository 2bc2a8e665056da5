"""The tail of the log reaches a Kafka-fed projection even when Kafka never delivers it.

After the broker restarts empty, a projector's consumer can sit in its group without any
partition for as long as the group does not settle (a dozen groups re-joining a restarted
broker, members killed mid-join, a dead member held until its session times out), while the
events it lacks (acknowledged by the old broker, then lost; or published to partitions it is
not given) are the last ones of their tenants, so no later envelope reveals the gap. The idle
check against the relay's published positions used to run only while the consumer *had* an
assignment, so such a projection stayed a few events short for good. Here a real consumer in
the projector's group is kept without partitions by another member holding the topic's only
partition: the projection must still catch up, from the store.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
from kafka import KafkaConsumer

from commands.customers.customers import CreateCustomer, create_customer
from domain.access.roles import Role
from infra.relay import Relay, published_positions
from projections.base import tenant_positions
from projections.feeds import FeedStats, run_kafka_feed
from projections.registry import PROJECTORS
from tests.conftest import prepared_store
from tests.support.builders import context, new_reseller, reseller_principal
from tests.support.projection_checks import expected_tenant_positions
from tests.support.services import throwaway_database


def group_member(broker, topic: str, group: str, client_id: str) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id=group,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        max_poll_interval_ms=10000,
    )


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_an_unassigned_consumer_still_fetches_the_published_tail_from_the_store(broker):
    projector = PROJECTORS["customers"]
    topic = f"ledger.tail.{uuid.uuid4().hex[:8]}"
    group = f"{topic}.customers"
    stopping = threading.Event()
    with throwaway_database("ledger_tail") as url:
        store = prepared_store(url)
        tenant = new_reseller(store, roles=())
        admin = reseller_principal(tenant.number, Role.ADMIN)
        for i in range(5):
            create_customer(
                store,
                context(admin),
                CreateCustomer(
                    customer_type="person",
                    first_name=f"T{i}",
                    last_name="Tail",
                    email=f"t{i}@example.com",
                    reseller_id=tenant.number,
                ),
            )
        expected = expected_tenant_positions(store)
        relay = Relay(store, url, broker.bootstrap, topic, 1, batch_size=100, poll_s=0.02)
        threads = [threading.Thread(target=relay.run, args=(stopping,), daemon=True)]

        def published() -> dict[int, int]:
            with psycopg.connect(url, autocommit=True) as conn:
                return published_positions(conn)

        # Sorted first by member id, this member is given the only partition.
        holder = group_member(broker, topic, group, "a-holder")

        def hold() -> None:
            while not stopping.is_set():
                holder.poll(timeout_ms=100)  # receives the envelopes and drops them

        threads.append(threading.Thread(target=hold, daemon=True))
        feed = group_member(broker, topic, group, "z-feed")
        stats = FeedStats()
        threads.append(
            threading.Thread(
                target=run_kafka_feed,
                args=(
                    store,
                    lambda: psycopg.connect(url, autocommit=True),
                    projector,
                    feed,
                    published,
                    100,
                    100,
                    stopping,
                ),
                kwargs={"stats": stats},
                daemon=True,
            )
        )
        threads[0].start()
        wait_for(lambda: published() == expected, 30, "the relay to publish everything")
        threads[1].start()
        wait_for(lambda: bool(holder.assignment()), 30, "the holder to own the partition")
        threads[2].start()
        try:

            def caught_up() -> bool:
                with psycopg.connect(url, autocommit=True) as conn:
                    applied = tenant_positions(conn, projector)
                return all(applied.get(t, 0) >= p for t, p in expected.items())

            wait_for(caught_up, 30, "the unassigned feed to fetch the tail from the store")
            assert not feed.assignment(), "the feed was given a partition: nothing was proved"
            assert stats.applied_from_kafka == 0
            assert stats.repaired_from_store > 0
        finally:
            stopping.set()
            for thread in threads:
                thread.join(timeout=20)
            holder.close()
            feed.close()
            store.close()
