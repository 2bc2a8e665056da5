"""The distributed event path for tests: the relay publishing the store to a Tansu topic, and
one Kafka-fed projector thread (its own consumer group) for every registered projector."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from kafka import KafkaConsumer

from infra.relay import Relay, published_positions
from projections.feeds import FeedStats, run_kafka_feed
from projections.registry import PROJECTORS


def consumer(bootstrap: str, topic: str, group: str) -> KafkaConsumer:
    # Small group timeouts: joins take seconds instead of ~20 s with kafka-python's defaults.
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        max_poll_interval_ms=10000,
    )


@contextmanager
def kafka_path(
    url: str, store: Any, bootstrap: str, topic: str, batch_size: int = 500
) -> Iterator[dict[str, FeedStats]]:
    """Run the relay and every projector's Kafka feed until the block ends; yields each
    projector's feed statistics."""
    stopping = threading.Event()
    relay = Relay(store, url, bootstrap, topic, partitions=4, batch_size=batch_size, poll_s=0.02)
    threads = [threading.Thread(target=relay.run, args=(stopping,), daemon=True)]
    stats = {name: FeedStats() for name in PROJECTORS}

    def published() -> dict[int, int]:
        with psycopg.connect(url, autocommit=True) as conn:
            return published_positions(conn)

    for name, projector in PROJECTORS.items():
        threads.append(
            threading.Thread(
                target=run_kafka_feed,
                args=(
                    store,
                    lambda: psycopg.connect(url, autocommit=True),
                    projector,
                    consumer(bootstrap, topic, f"{topic}.{name}"),
                    published,
                    batch_size,
                    100,
                    stopping,
                ),
                # Never reconcile from the store while idle: everything must come via Kafka.
                kwargs={"stats": stats[name], "idle_polls_before_reconcile": 10**9},
                name=f"kafka-feed-{name}",
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    try:
        yield stats
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=20)
