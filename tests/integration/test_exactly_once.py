"""Projector batches against real PostgreSQL: redeliveries are skipped, gaps are filled from the
store, and a rebuild swapped in while commands and the live feed run loses nothing."""

import threading
import uuid
from decimal import Decimal

import psycopg
import pytest

from commands.credit.credit_account import RecordCharge, record_charge
from projections.base import TenantGap, apply_batch, tenant_positions
from projections.envelope import read_envelopes
from projections.feeds import FeedStats, apply_with_repair
from projections.ledger.journal import JournalProjector
from projections.registry import PROJECTORS
from replays.rebuild import drop_schema, rebuild
from tests.support.builders import context, new_reseller
from tests.support.projection_checks import (
    assert_projections_equal_rebuild,
    wait_until_caught_up,
)


@pytest.fixture
def scratch_schema(database_url):
    name = f"proj_journal__t{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        JournalProjector.create(conn, name)
        yield conn, name
        drop_schema(conn, name)


def charges(store, tenant, count):
    for i in range(count):
        record_charge(
            store,
            context(),
            tenant.number,
            RecordCharge(amount=Decimal(i + 1), currency="USD", description=f"charge {i}"),
        )


def tenant_envelopes(store, tenant_number):
    envelopes, position = [], 0
    while batch := read_envelopes(store, position, 1000):
        envelopes += [e for e in batch if e.tenant == tenant_number]
        position = batch[-1].position
    return envelopes


def chained(envelopes):
    """Set tenant_previous as the relay does."""
    from dataclasses import replace

    previous, out = 0, []
    for e in envelopes:
        out.append(replace(e, tenant_previous=previous))
        previous = e.position
    return out


def lines(conn, schema):
    return conn.execute(
        f'SELECT aggregate_id, version, line_no, amount FROM "{schema}".journal_lines'
        " ORDER BY 1, 2, 3"
    ).fetchall()


def test_redelivered_envelopes_are_applied_once(store, scratch_schema):
    conn, schema = scratch_schema
    tenant = new_reseller(store, roles=())
    charges(store, tenant, 5)
    envelopes = tenant_envelopes(store, tenant.number)
    applied_first = apply_batch(conn, JournalProjector, envelopes[:4], schema=schema)
    once = lines(conn, schema)
    applied_again = apply_batch(conn, JournalProjector, envelopes, schema=schema)
    applied_third = apply_batch(conn, JournalProjector, envelopes + envelopes, schema=schema)
    assert (applied_first, applied_again, applied_third) == (4, len(envelopes) - 4, 0)
    assert len(lines(conn, schema)) == 2 * 5
    assert set(once) <= set(lines(conn, schema))
    assert tenant_positions(conn, JournalProjector, schema)[tenant.number] == envelopes[-1].position


def test_a_gap_rolls_back_and_is_filled_from_the_store(store, scratch_schema):
    conn, schema = scratch_schema
    tenant = new_reseller(store, roles=())
    charges(store, tenant, 6)
    envelopes = chained(tenant_envelopes(store, tenant.number))
    lost = [envelopes[0], *envelopes[4:]]  # the broker lost three in the middle
    with pytest.raises(TenantGap):
        apply_batch(conn, JournalProjector, lost, schema=schema, check_gaps=True)
    assert tenant_positions(conn, JournalProjector, schema) == {}  # rolled back whole
    stats = FeedStats()
    apply_with_repair(store, conn, JournalProjector, lost, 100, stats, schema)
    assert tenant_positions(conn, JournalProjector, schema)[tenant.number] == envelopes[-1].position
    assert stats.repaired_from_store > 0
    count = conn.execute(
        f'SELECT count(*) FROM "{schema}".journal_lines WHERE reseller_id = %s', (tenant.number,)
    ).fetchone()[0]
    assert count == 12


def test_rebuild_swapped_in_while_commands_and_the_live_feed_run(store, database_url, store_feed):
    tenant = new_reseller(store, roles=())
    stop = threading.Event()

    def keep_charging():
        while not stop.is_set():
            charges(store, tenant, 1)

    writer = threading.Thread(target=keep_charging)
    writer.start()
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            for projector in PROJECTORS.values():
                report = rebuild(store, conn, projector, 200)
                assert report.swapped and report.events > 0
    finally:
        stop.set()
        writer.join()
    wait_until_caught_up(database_url, store, timeout_s=60)
    assert_projections_equal_rebuild(database_url, store, require_rows=False)
    with psycopg.connect(database_url, autocommit=True) as conn:
        leftovers = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", ("proj\\_%\\_\\_%",)
        ).fetchall()
    assert leftovers == []
