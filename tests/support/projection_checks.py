"""Checks shared by the event-path tests: is a projection caught up, and equal to a rebuild?"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from projections.base import tenant_positions
from projections.feeds import read_envelopes
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


def assert_projections_equal_rebuild(url: str, store: Any) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for projector in PROJECTORS.values():
            shadow = f"{projector.live_schema()}__check"
            rebuild(store, conn, projector, 500, target_schema=shadow)
            diffs = diff_schemas(conn, projector, projector.live_schema(), shadow)
            drop_schema(conn, shadow)
            for table in diffs:
                assert table.equal, (projector.name, table)
                assert table.left_rows > 0, (projector.name, table.table, "is empty")
