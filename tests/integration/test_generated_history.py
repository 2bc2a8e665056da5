"""A generated history of more than 5,000 events (several resellers with sub-resellers, two tax
years, every kind of money command) goes through the relay and Kafka into every registered
projector; each projection equals its rebuild from the store (checksum of sorted rows), and
the books balance."""

import time
from decimal import Decimal

import psycopg
import pytest

from projections.ledger.journal import trial_balance
from projections.registry import PROJECTORS
from replays.checksum import projection_checksum
from replays.rebuild import drop_schema, rebuild
from tests.conftest import prepared_store
from tests.support.history import HistoryPlan, generate_history
from tests.support.kafka_path import kafka_path
from tests.support.projection_checks import wait_until_caught_up
from tests.support.services import throwaway_database

TOPIC = "ledger.events.history"
MIN_EVENTS = 5000


@pytest.fixture
def isolated():
    with throwaway_database("ledger_history") as url:
        store = prepared_store(url)
        yield url, store
        store.close()


def test_generated_history_through_kafka_equals_rebuild_from_the_store(isolated, broker):
    url, store = isolated
    started = time.monotonic()
    history = generate_history(store, HistoryPlan(seed=2025))
    generated_s = time.monotonic() - started
    head = store.recorder.max_notification_id()
    with psycopg.connect(url, autocommit=True) as conn:
        (events,) = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
    assert events >= MIN_EVENTS, (events, history.commands)
    assert len(history.tenants) >= 3 and len(history.customers) >= 20

    with kafka_path(url, store, broker.bootstrap, TOPIC) as stats:
        wait_until_caught_up(url, store, timeout_s=120)
    fed_s = time.monotonic() - started - generated_s
    for name, feed in stats.items():
        assert feed.applied_from_kafka > 0, (name, feed)
        assert feed.repaired_from_store == 0, (name, feed)

    with psycopg.connect(url, autocommit=True) as conn:
        for name, projector in PROJECTORS.items():
            live = projection_checksum(conn, projector)
            shadow = f"history_check_{name}"
            report = rebuild(store, conn, projector, 1000, target_schema=shadow)
            assert report.events == head
            rebuilt = projection_checksum(conn, projector, shadow)
            drop_schema(conn, shadow)
            assert live == rebuilt, name
            assert sum(t.rows for t in live.values()) > 0, (name, "is empty")

        (years,) = conn.execute(
            "SELECT array_agg(year ORDER BY year) FROM (SELECT DISTINCT"
            " date_part('year', effective_date)::int AS year FROM proj_journal.journal_lines"
            " WHERE effective_date IS NOT NULL) y"
        ).fetchone()
        assert years == [2025, 2026]
        balances = trial_balance(conn)
        assert set(balances) == {"USD", "EUR", "NGN"}
        assert all(total == Decimal(0) for total in balances.values()), balances
        for reseller in {r.number for b in history.books for r in b.resellers}:
            assert all(v == 0 for v in trial_balance(conn, reseller).values()), reseller
    print(
        f"\n{events} events from {history.commands} commands in {generated_s:.1f}s; "
        f"relayed and projected through Kafka in {fed_s:.1f}s"
    )
