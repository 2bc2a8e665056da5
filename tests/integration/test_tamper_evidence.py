"""Tamper evidence over a real store: `verify` finds every random tampering case and names the
first bad position, and reports nothing on an untouched store (gaps in notification ids
included). Each tampering runs in a transaction that is rolled back after verifying."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.customers.customers import CreateCustomer, create_customer
from infra.chainer import (
    ChainerConfig,
    chain_until_caught_up,
    ensure_chain_tables,
    events_table,
    load_or_create_signing_key,
    run_chainer,
    start_chainer,
)
from infra.event_store import LedgerStore, open_store
from infra.settings import Settings
from replays.chain import Checkpoint, event_hash, key_id, link, read_checkpoint_lines
from replays.verify import VerifyReport, verify_store
from tests.support.builders import context, new_reseller
from tests.support.privacy import TEST_MASTER_KEY
from tests.support.services import throwaway_database

SEED = int(os.environ.get("LEDGER_TEST_SEED", random.randrange(1 << 30)))
CHECKPOINT_EVERY = 40


def small_store(url: str) -> LedgerStore:
    """The store with a small pool (the shared test server's connections are scarce)."""
    store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=2)
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_chain_tables(conn)
    return store


def add_customers(store: LedgerStore, count: int) -> None:
    tenant = new_reseller(store, roles=())
    for i in range(count):
        create_customer(
            store,
            context(),
            CreateCustomer(
                customer_type="person",
                first_name=f"T{i}",
                last_name="Chain",
                reseller_id=tenant.number,
            ),
        )


def burn_notification_ids(url: str, count: int) -> None:
    """Rolled-back inserts: they leave gaps in the notification ids, as failed saves do."""
    with psycopg.connect(url) as conn:
        for _ in range(count):
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                "VALUES (gen_random_uuid(), 1, 'rolled:Back', '\\x00')"
            )
            conn.rollback()


@dataclass
class ChainedStore:
    url: str
    store: LedgerStore
    config: ChainerConfig
    keys: dict[str, Any]

    def verify(self, conn: psycopg.Connection[Any], directory: Path | None = None) -> VerifyReport:
        return verify_store(
            conn, self.config.events_table, directory or self.config.checkpoint_dir, self.keys
        )

    def chain_rows(self, conn: psycopg.Connection[Any]) -> list[tuple[int, int]]:
        rows = conn.execute(
            "SELECT position, notification_id FROM integrity.chain ORDER BY position"
        ).fetchall()
        return [(int(p), int(n)) for p, n in rows]

    def store_dir(self, conn: psycopg.Connection[Any]) -> Path:
        row = conn.execute("SELECT store_id FROM integrity.store_identity").fetchone()
        assert row is not None
        return self.config.checkpoint_dir / str(row[0])


@pytest.fixture(scope="module")
def chained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainedStore]:
    """A few hundred real events with gaps; checkpoints every 40 positions; a tail after the
    last checkpoint that is chained but not yet anchored."""
    directory = tmp_path_factory.mktemp("checkpoints")
    with throwaway_database("ledger_chain") as url:
        store = small_store(url)
        key = Ed25519PrivateKey.generate()
        config = ChainerConfig(
            events_table=events_table(store),
            checkpoint_dir=directory,
            signing_key=key,
            batch_size=CHECKPOINT_EVERY,
            checkpoint_every_events=CHECKPOINT_EVERY,
            checkpoint_every_s=3600,
        )
        for _ in range(3):
            add_customers(store, 40)
            burn_notification_ids(url, 3)
        with psycopg.connect(url, autocommit=True) as conn:
            chain_until_caught_up(conn, config)
            add_customers(store, 6)
            burn_notification_ids(url, 2)
            add_customers(store, 6)
            chain_until_caught_up(conn, replace(config, checkpoint_every_events=1_000_000))
        yield ChainedStore(url, store, config, {key_id(key.public_key()): key.public_key()})
        store.close()


def test_an_untouched_store_with_gaps_in_its_ids_verifies(chained: ChainedStore) -> None:
    with psycopg.connect(chained.url) as conn:
        rows = chained.chain_rows(conn)
        report = chained.verify(conn)
    ids = [nid for _, nid in rows]
    assert len(rows) >= 250
    assert any(b - a > 1 for a, b in itertools.pairwise(ids)), "no gaps were made"
    assert report.ok, report.lines()
    assert report.events == report.chain_head == len(rows)
    assert report.checkpoints_valid >= 5
    assert 0 < report.anchored_position < report.chain_head
    assert "chained but not yet anchored" in "\n".join(report.lines())


# --- tampering cases: each returns the position that must be named first ---------------------

Tamper = Callable[[psycopg.Connection[Any], ChainedStore, random.Random], tuple[int, int]]


def _event(conn: psycopg.Connection[Any], notification_id: int) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM ledger_events WHERE notification_id = %s",
        (notification_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def _pick(
    conn: psycopg.Connection[Any], chained: ChainedStore, rng: random.Random
) -> tuple[int, int]:
    return rng.choice(chained.chain_rows(conn))


def change_a_byte_of_state(conn, chained, rng) -> tuple[int, int]:
    position, nid = _pick(conn, chained, rng)
    state = bytearray(_event(conn, nid)[4])
    index = rng.randrange(len(state))
    state[index] ^= 1 << rng.randrange(8)
    conn.execute(
        "UPDATE ledger_events SET state = %s WHERE notification_id = %s", (bytes(state), nid)
    )
    return position, nid


def change_the_topic(conn, chained, rng) -> tuple[int, int]:
    position, nid = _pick(conn, chained, rng)
    conn.execute("UPDATE ledger_events SET topic = topic || 'x' WHERE notification_id = %s", (nid,))
    return position, nid


def delete_an_event(conn, chained, rng) -> tuple[int, int]:
    position, nid = _pick(conn, chained, rng)
    conn.execute("DELETE FROM ledger_events WHERE notification_id = %s", (nid,))
    return position, nid


def insert_an_event_into_a_gap(conn, chained, rng) -> tuple[int, int]:
    rows = chained.chain_rows(conn)
    gaps = [(p2, n1 + 1) for (_, n1), (p2, n2) in itertools.pairwise(rows) if n2 - n1 > 1]
    position, gap_id = rng.choice(gaps)
    donor = _event(conn, rng.choice(rows)[1])
    conn.execute(
        "INSERT INTO ledger_events "
        "(originator_id, originator_version, topic, state, notification_id) "
        "VALUES (gen_random_uuid(), 1, %s, %s, %s)",
        (donor[3], donor[4], gap_id),
    )
    return position, gap_id


def _two(conn, chained, rng) -> tuple[tuple[int, int], tuple[int, int]]:
    rows = chained.chain_rows(conn)
    while True:
        first, second = sorted(rng.sample(rows, 2))
        if bytes(_event(conn, first[1])[4]) != bytes(_event(conn, second[1])[4]):
            return first, second


def swap_notification_ids(conn, chained, rng) -> tuple[int, int]:
    (position, a), (_, b) = _two(conn, chained, rng)
    conn.execute("UPDATE ledger_events SET notification_id = -1 WHERE notification_id = %s", (a,))
    conn.execute("UPDATE ledger_events SET notification_id = %s WHERE notification_id = %s", (a, b))
    conn.execute("UPDATE ledger_events SET notification_id = %s WHERE notification_id = -1", (b,))
    return position, a


def swap_states(conn, chained, rng) -> tuple[int, int]:
    (position, a), (_, b) = _two(conn, chained, rng)
    conn.execute(
        "UPDATE ledger_events e SET state = o.state FROM ledger_events o "
        "WHERE (e.notification_id, o.notification_id) IN ((%s, %s), (%s, %s))",
        (a, b, b, a),
    )
    return position, a


def rewrite_chain_from(conn: psycopg.Connection[Any], position: int) -> None:
    """What an attacker with database access does to hide a change: recompute the chain."""
    previous = conn.execute(
        "SELECT chain_hash FROM integrity.chain WHERE position = %s", (position - 1,)
    ).fetchone()
    chain_hash = bytes(previous[0]) if previous else bytes(32)
    rows = conn.execute(
        "SELECT c.position, e.notification_id, e.originator_id, e.originator_version, e.topic, "
        "e.state FROM integrity.chain c JOIN ledger_events e USING (notification_id) "
        "WHERE c.position >= %s ORDER BY c.position",
        (position,),
    ).fetchall()
    for row_position, nid, originator, version, topic, state in rows:
        hashed = event_hash(nid, originator, version, topic, bytes(state))
        chain_hash = link(chain_hash, hashed)
        conn.execute(
            "UPDATE integrity.chain SET event_hash = %s, chain_hash = %s WHERE position = %s",
            (hashed, chain_hash, row_position),
        )


def change_an_anchored_event_and_rewrite_the_chain(conn, chained, rng) -> tuple[int, int]:
    anchored = chained.verify(conn).anchored_position
    position, nid = rng.choice([r for r in chained.chain_rows(conn) if r[0] <= anchored])
    conn.execute(
        "UPDATE ledger_events SET state = state || '\\x20'::bytea WHERE notification_id = %s",
        (nid,),
    )
    rewrite_chain_from(conn, position)
    return position, nid


TAMPERINGS: list[Tamper] = [
    change_a_byte_of_state,
    change_the_topic,
    delete_an_event,
    insert_an_event_into_a_gap,
    swap_notification_ids,
    swap_states,
    change_an_anchored_event_and_rewrite_the_chain,
]


@pytest.mark.parametrize("case", range(35))
def test_verify_names_the_first_bad_position_of_random_tampering(
    chained: ChainedStore, case: int
) -> None:
    rng = random.Random(SEED * 1000 + case)
    tamper = TAMPERINGS[case % len(TAMPERINGS)]
    with psycopg.connect(chained.url) as conn:
        try:
            position, nid = tamper(conn, chained, rng)
            report = chained.verify(conn)
        finally:
            conn.rollback()
    context_line = f"seed {SEED} case {case} {tamper.__name__} at {position}/{nid}"
    assert not report.ok, context_line
    first = report.first_problem
    assert first is not None
    assert (first.position, first.notification_id) == (position, nid), (
        context_line,
        report.lines(),
    )
    assert f"first bad position {position} (notification id {nid})" in report.lines()[0]
    if tamper is change_an_anchored_event_and_rewrite_the_chain:
        kinds = {p.kind for p in report.problems}
        assert {"event_changed", "chain_rewritten", "checkpoint_mismatch"} <= kinds


def test_a_rewrite_of_events_and_chain_after_the_last_checkpoint_is_reported_as_unanchored(
    chained: ChainedStore,
) -> None:
    """What verify can honestly say: nothing proves those positions yet, and it says so."""
    with psycopg.connect(chained.url) as conn:
        try:
            before = chained.verify(conn)
            tail = [r for r in chained.chain_rows(conn) if r[0] > before.anchored_position]
            position, nid = tail[len(tail) // 2]
            conn.execute(
                "UPDATE ledger_events SET state = state || '\\x20'::bytea "
                "WHERE notification_id = %s",
                (nid,),
            )
            without_rewrite = chained.verify(conn)
            rewrite_chain_from(conn, position)
            with_rewrite = chained.verify(conn)
        finally:
            conn.rollback()
    assert without_rewrite.first_problem is not None
    assert without_rewrite.first_problem.position == position
    assert with_rewrite.ok
    unanchored = f"positions {before.anchored_position + 1}..{before.chain_head}"
    assert any(
        line.startswith(unanchored) and "not yet anchored" in line for line in with_rewrite.lines()
    )
    assert before.anchored_position < position <= before.chain_head


def _copy_checkpoints(chained: ChainedStore, tmp_path: Path) -> tuple[Path, list[Path]]:
    with psycopg.connect(chained.url) as conn:
        source = chained.store_dir(conn)
    target = tmp_path / "copy"
    shutil.copytree(source.parent, target)
    return target, sorted((target / source.name).glob("checkpoints-*.jsonl"))


def _rewrite_line(path: Path, index: int, edit: Callable[[str], str | None]) -> Checkpoint:
    lines = path.read_text().splitlines()
    original = Checkpoint.from_json(lines[index])
    edited = edit(lines[index])
    if edited is None:
        del lines[index]
    else:
        lines[index] = edited
    path.write_text("\n".join(lines) + "\n")
    return original


def _flip_hex(text: str, field: str) -> str:
    data = json.loads(text)
    value = data[field]
    data[field] = ("1" if value[0] == "0" else "0") + value[1:]
    return json.dumps(data)


@pytest.mark.parametrize(
    "edit",
    ["chain_hash", "signature", "event_hash", "foreign_key", "deleted_line"],
)
def test_an_edited_or_forged_checkpoint_is_reported(
    chained: ChainedStore, tmp_path: Path, edit: str
) -> None:
    directory, files = _copy_checkpoints(chained, tmp_path)
    (path,) = files
    index = 3

    def forge(line: str) -> str | None:
        if edit in ("chain_hash", "signature"):
            return _flip_hex(line, edit)
        data = json.loads(line)
        if edit == "event_hash":
            hashed = data["events"][5][1]
            data["events"][5][1] = ("1" if hashed[0] == "0" else "0") + hashed[1:]
            return json.dumps(data)
        if edit == "foreign_key":  # re-signed by somebody else's key
            checkpoint = Checkpoint.from_json(line)
            attacker = Ed25519PrivateKey.generate()
            forged = replace(checkpoint, key_id=key_id(attacker.public_key()))
            return forged.signed_with(attacker).to_json()
        return None

    original = _rewrite_line(path, index, forge)
    with psycopg.connect(chained.url) as conn:
        report = chained.verify(conn, directory)
    assert not report.ok
    first = report.first_problem
    assert first is not None
    assert first.position == original.position, report.lines()
    assert first.kind == ("checkpoint_missing" if edit == "deleted_line" else "checkpoint_invalid")


def test_losing_the_newest_checkpoint_only_shortens_what_is_anchored(
    chained: ChainedStore, tmp_path: Path
) -> None:
    directory, (path,) = _copy_checkpoints(chained, tmp_path)
    lines = [line for line in path.read_text().splitlines() if line]
    dropped = Checkpoint.from_json(lines[-1])
    path.write_text("\n".join(lines[:-1]) + "\n")
    with psycopg.connect(chained.url) as conn:
        report = chained.verify(conn, directory)
    assert report.ok
    assert report.anchored_position == dropped.previous_position


def test_one_chainer_at_a_time_follows_concurrent_writers(tmp_path: Path) -> None:
    """Two chainer loops race while four threads write: the chain covers every committed
    event exactly once, in order, and verifies."""
    with throwaway_database("ledger_chain_live") as url:
        store = small_store(url)
        try:
            key = Ed25519PrivateKey.generate()
            config = ChainerConfig(
                events_table(store),
                tmp_path,
                key,
                batch_size=25,
                checkpoint_every_events=30,
                checkpoint_every_s=3600,
            )
            stopping = threading.Event()
            connect = lambda: psycopg.connect(url, autocommit=True)  # noqa: E731
            chainers = [
                threading.Thread(target=run_chainer, args=(connect, config, 0.01, stopping))
                for _ in range(2)
            ]
            writers = [threading.Thread(target=add_customers, args=(store, 15)) for _ in range(4)]
            for thread in chainers + writers:
                thread.start()
            for thread in writers:
                thread.join(timeout=120)
            with psycopg.connect(url, autocommit=True) as conn:
                deadline = 200
                while (
                    deadline
                    and store.recorder.max_notification_id()
                    != conn.execute("SELECT max(notification_id) FROM integrity.chain").fetchone()[
                        0
                    ]
                ):
                    stopping.wait(0.05)
                    deadline -= 1
            stopping.set()
            for thread in chainers:
                thread.join(timeout=10)
            with psycopg.connect(url) as conn:
                report = verify_store(
                    conn,
                    config.events_table,
                    tmp_path,
                    {key_id(key.public_key()): key.public_key()},
                )
                count = conn.execute("SELECT count(*) FROM ledger_events").fetchone()[0]
            assert report.ok, report.lines()
            assert report.chain_head == report.events == count > 60
            assert report.unchained_events == 0
            assert report.checkpoints_valid >= 2
            assert all(
                line.checkpoint for line in read_checkpoint_lines(tmp_path / report.store_id)
            )
        finally:
            store.close()


def test_the_runtime_chainer_keeps_its_key_and_checkpoints_under_the_data_dir(
    tmp_path: Path,
) -> None:
    with throwaway_database("ledger_chain_runtime") as url:
        store = small_store(url)
        stopping = threading.Event()
        try:
            add_customers(store, 5)
            settings = Settings(
                database_url=url, data_dir=tmp_path, chain_poll_ms=10, checkpoint_every_events=3
            )
            thread = start_chainer(settings, store, url, stopping)
            key_file = tmp_path / "checkpoint-signing.pem"
            head = store.recorder.max_notification_id()
            for _ in range(400):
                lines = list(read_checkpoint_lines(tmp_path / "checkpoints" / _store_id(url)))
                if lines and lines[-1].checkpoint and lines[-1].checkpoint.notification_id == head:
                    break
                stopping.wait(0.05)
            stopping.set()
            thread.join(timeout=10)
        finally:
            store.close()
        assert lines[-1].checkpoint is not None
        assert lines[-1].checkpoint.notification_id == head
        assert key_file.stat().st_mode & 0o777 == 0o600
        public = load_or_create_signing_key(key_file).public_key()
        assert all(
            line.checkpoint and line.checkpoint.defect({key_id(public): public}) is None
            for line in lines
        )


def _store_id(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT store_id FROM integrity.store_identity").fetchone()
    assert row is not None
    return str(row[0])
