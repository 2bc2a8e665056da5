"""The relay: one active at a time, resumes where the broker last acknowledged."""

import threading
import time
from decimal import Decimal

import psycopg
import pytest

from commands.credit.credit_account import RecordCharge, record_charge
from infra.relay import Relay, relay_position
from projections.locks import RELAY_LOCK_KEY
from tests.conftest import prepared_store
from tests.support.builders import context, new_reseller
from tests.support.projection_checks import read_topic
from tests.support.services import throwaway_database

TOPIC = "ledger.events.takeover"


@pytest.fixture
def isolated():
    with throwaway_database("ledger_relay") as url:
        store = prepared_store(url)
        yield url, store
        store.close()


def lock_holders(url):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
            (RELAY_LOCK_KEY & 0xFFFFFFFF,),
        ).fetchone()[0]


def wait_for(condition, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_second_relay_waits_and_takes_over(isolated, broker):
    url, store = isolated
    tenant = new_reseller(store, roles=())
    record_charge(
        store,
        context(),
        tenant.number,
        RecordCharge(amount=Decimal("1.00"), currency="USD", description="first"),
    )

    def relay():
        return Relay(store, url, broker.bootstrap, TOPIC, 2, 100, 0.02)

    first_stop, second_stop = threading.Event(), threading.Event()
    first = threading.Thread(target=relay().run, args=(first_stop,))
    first.start()
    head = store.recorder.max_notification_id()
    with psycopg.connect(url, autocommit=True) as conn:
        wait_for(lambda: relay_position(conn) == head)
    second = threading.Thread(target=relay().run, args=(second_stop,))
    second.start()
    time.sleep(1.0)
    assert lock_holders(url) == 1
    first_stop.set()
    first.join(timeout=20)
    record_charge(
        store,
        context(),
        tenant.number,
        RecordCharge(amount=Decimal("2.00"), currency="USD", description="second"),
    )
    head = store.recorder.max_notification_id()
    with psycopg.connect(url, autocommit=True) as conn:
        wait_for(lambda: relay_position(conn) == head)
    second_stop.set()
    second.join(timeout=20)
    total = len(store.recorder.select_notifications(start=1, limit=10_000))
    positions = read_topic(broker, TOPIC, total)
    assert sorted(positions) == [
        n.id for n in store.recorder.select_notifications(start=1, limit=10_000)
    ]
