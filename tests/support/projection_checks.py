"""Checks shared by the event-path tests: is a projection caught up, and equal to a rebuild?"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from kafka import KafkaConsumer, TopicPartition

from projections.base import tenant_positions
from projections.envelope import Envelope, read_envelopes
from projections.registry import PROJECTORS
from replays.diff import diff_schemas
from replays.rebuild import drop_schema, rebuild


def expected_tenant_positions(store: Any) -> dict[int, int]:
    """Each tenant's last event position, straight from the store."""
    last: dict[int, int] = {}
    position = 0
    while True:
        batch = read_envelopes(store, position, 1000)
        if not batch:
            return last
        for envelope in batch:
            last[envelope.tenant] = envelope.position
        position = batch[-1].position


def wait_until_caught_up(url: str, store: Any, timeout_s: float) -> None:
    expected = expected_tenant_positions(store)
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            behind = {}
            for projector in PROJECTORS.values():
                applied = tenant_positions(conn, projector)
                lagging = {t: p for t, p in expected.items() if applied.get(t, 0) < p}
                if lagging:
                    behind[projector.name] = lagging
            if not behind:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"projections still behind after {timeout_s}s: {behind}")
            time.sleep(0.1)


def assert_projections_equal_rebuild(url: str, store: Any, require_rows: bool = True) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for projector in PROJECTORS.values():
            shadow = f"{projector.live_schema()}__check"
            rebuild(store, conn, projector, 500, target_schema=shadow)
            diffs = diff_schemas(conn, projector, projector.live_schema(), shadow)
            drop_schema(conn, shadow)
            for table in diffs:
                assert table.equal, (projector.name, table)
            if require_rows:
                assert sum(t.left_rows for t in diffs) > 0, (projector.name, "is empty")


def read_topic(broker: Any, topic: str, expected: int, timeout_s: float = 20) -> list[int]:
    """Every envelope on the topic (positions), checking each is keyed by its tenant."""
    reader = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic)]
    reader.assign(partitions)
    reader.seek_to_beginning()
    positions: list[int] = []
    deadline = time.monotonic() + timeout_s
    while len(positions) < expected and time.monotonic() < deadline:
        for records in reader.poll(timeout_ms=200).values():
            for record in records:
                envelope = Envelope.from_json(record.value)
                assert record.key == str(envelope.tenant).encode()
                positions.append(envelope.position)
    reader.close()
    return positions
