"""The chainer: extends the tamper-evidence hash chain over the store's global event sequence
and exports signed checkpoints to files outside the database (format in `replays/chain.py`).

Concurrency: one chainer at a time (a transaction-scoped advisory lock; another chainer's round
simply does nothing). It chains only committed events, in notification-id order: every save
takes the events table's EXCLUSIVE lock before drawing its ids, so ids commit in order and once
id N is visible no smaller id can still appear; ids that never appear were rolled back.

The chain is a pure function of the events table, so a round that fails after writing its
checkpoint file line but before committing its chain rows is harmless: the next round
recomputes the very same hashes. The checkpoint files are the truth about the anchored sequence:
the chainer continues from the last line of its store's directory and refuses to sign anything
that does not extend it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql as pgsql

from infra.event_store import LedgerStore
from infra.settings import Settings
from projections.locks import CHAIN_LOCK_KEY, CHAIN_TABLES_LOCK_KEY
from replays.chain import (
    CHAIN_DDL,
    GENESIS,
    Checkpoint,
    event_hash,
    key_id,
    last_checkpoint,
    link,
)

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0


class ChainIntegrityError(Exception):
    """The chain table no longer extends the last exported checkpoint: refuse to sign."""


def ensure_chain_tables(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CHAIN_TABLES_LOCK_KEY,))
        for statement in CHAIN_DDL:
            conn.execute(statement)


def store_id(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT store_id FROM integrity.store_identity WHERE id = 1").fetchone()
    if row is None:
        raise ChainIntegrityError("integrity.store_identity is empty: run `ledger migrate`")
    return str(row[0])


def events_table(store: LedgerStore) -> pgsql.Composed:
    """The store's events table, schema-qualified, as the library created it."""
    recorder: Any = store.recorder
    return pgsql.SQL("{}.{}").format(
        pgsql.Identifier(recorder.datastore.schema), pgsql.Identifier(recorder.events_table_name)
    )


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The checkpoint signing key (PEM, PKCS#8); created once, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


@dataclass(frozen=True)
class ChainerConfig:
    events_table: pgsql.Composed
    checkpoint_dir: Path  # the store's own subdirectory is made inside it
    signing_key: Ed25519PrivateKey
    batch_size: int
    checkpoint_every_events: int
    checkpoint_every_s: float


@dataclass(frozen=True)
class ChainRound:
    locked: bool  # False: another chainer holds the lock and this round did nothing
    chained: int
    head_position: int
    checkpoint: Checkpoint | None


def store_checkpoint_dir(checkpoint_dir: Path, identity: str) -> Path:
    return checkpoint_dir / identity


def chain_once(
    conn: psycopg.Connection[Any], config: ChainerConfig, now: datetime | None = None
) -> ChainRound:
    """Chain up to one batch of newly committed events, then sign a checkpoint if one is due."""
    with conn.transaction():
        got = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (CHAIN_LOCK_KEY,)).fetchone()
        if not (got and got[0]):
            return ChainRound(False, 0, 0, None)
        head = conn.execute(
            "SELECT position, notification_id, chain_hash FROM integrity.chain "
            "ORDER BY position DESC LIMIT 1"
        ).fetchone()
        position, after_id, chain_hash = (
            (int(head[0]), int(head[1]), bytes(head[2])) if head else (0, 0, GENESIS)
        )
        rows = conn.execute(
            pgsql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
            ).format(config.events_table),
            (after_id, config.batch_size),
        ).fetchall()
        links = []
        for notification_id, originator_id, version, topic, state in rows:
            position += 1
            hashed = event_hash(notification_id, originator_id, version, topic, bytes(state))
            chain_hash = link(chain_hash, hashed)
            links.append((position, notification_id, hashed, chain_hash))
        if links:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO integrity.chain "
                    "(position, notification_id, event_hash, chain_hash) VALUES (%s, %s, %s, %s)",
                    links,
                )
        checkpoint = _checkpoint_if_due(conn, config, position, now or datetime.now(UTC))
    return ChainRound(True, len(links), position, checkpoint)


def _checkpoint_if_due(
    conn: psycopg.Connection[Any], config: ChainerConfig, head_position: int, now: datetime
) -> Checkpoint | None:
    identity = store_id(conn)
    directory = store_checkpoint_dir(config.checkpoint_dir, identity)
    previous = last_checkpoint(directory)
    previous_position = previous.position if previous else 0
    if head_position <= previous_position:
        return None
    due = (
        previous is None
        or head_position - previous_position >= config.checkpoint_every_events
        or now - previous.signed_at >= timedelta(seconds=config.checkpoint_every_s)
    )
    if not due:
        return None
    previous_chain_hash = previous.chain_hash if previous else GENESIS
    rows = conn.execute(
        "SELECT position, notification_id, event_hash, chain_hash FROM integrity.chain "
        "WHERE position >= %s AND position <= %s ORDER BY position",
        (previous_position, head_position),
    ).fetchall()
    if previous is not None:
        if not rows or int(rows[0][0]) != previous_position:
            raise ChainIntegrityError(f"the chain table lost position {previous_position}")
        if bytes(rows[0][3]) != previous.chain_hash:
            raise ChainIntegrityError(
                f"the chain hash at position {previous_position} differs from its checkpoint"
            )
        rows = rows[1:]
    entries = tuple((int(nid), bytes(hashed)) for _, nid, hashed, _ in rows)
    expected = [previous_position + i + 1 for i in range(len(rows))]
    if [int(row[0]) for row in rows] != expected:
        raise ChainIntegrityError("the chain table's positions are not contiguous")
    chain_hash = previous_chain_hash
    for _, hashed in entries:
        chain_hash = link(chain_hash, hashed)
    if chain_hash != bytes(rows[-1][3]):
        raise ChainIntegrityError(f"the chain table does not fold to position {head_position}")
    public = config.signing_key.public_key()
    checkpoint = Checkpoint(
        store_id=identity,
        position=head_position,
        notification_id=entries[-1][0],
        chain_hash=chain_hash,
        previous_position=previous_position,
        previous_chain_hash=previous_chain_hash,
        signed_at=now,
        key_id=key_id(public),
        entries=entries,
    ).signed_with(config.signing_key)
    append_checkpoint(directory, checkpoint)
    log.info(
        "chain.checkpoint",
        position=checkpoint.position,
        notification_id=checkpoint.notification_id,
        chain_hash=checkpoint.chain_hash.hex(),
    )
    return checkpoint


def append_checkpoint(directory: Path, checkpoint: Checkpoint) -> None:
    """Append one line to the day's file and make it durable before the round commits."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"checkpoints-{checkpoint.signed_at.date().isoformat()}.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (checkpoint.to_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def chain_until_caught_up(
    conn: psycopg.Connection[Any], config: ChainerConfig, max_rounds: int = 100_000
) -> int:
    """Chain everything committed so far (tests and `ledger chain`); returns events chained."""
    total = 0
    for _ in range(max_rounds):
        chained = chain_once(conn, config)
        total += chained.chained
        if chained.chained < config.batch_size:
            return total
    return total


def run_chainer(
    connect: Callable[[], psycopg.Connection[Any]],
    config: ChainerConfig,
    poll_s: float,
    stopping: threading.Event,
) -> None:
    """The background loop: chain new events as they commit; checkpoints as they fall due."""
    backoff_s = poll_s
    while not stopping.is_set():
        try:
            with connect() as conn:
                ensure_chain_tables(conn)
                while not stopping.is_set():
                    chained = chain_once(conn, config)
                    backoff_s = poll_s
                    if chained.chained < config.batch_size:
                        stopping.wait(poll_s)
        except (psycopg.Error, OSError, ChainIntegrityError) as error:
            log.error("chain.error", error=repr(error), retry_in_s=backoff_s)
            stopping.wait(backoff_s)
            backoff_s = min(MAX_BACKOFF_S, backoff_s * 2)


def checkpoint_dir_of(settings: Settings) -> Path:
    return settings.checkpoint_dir or settings.data_dir / "checkpoints"


def signing_key_path_of(settings: Settings) -> Path:
    return settings.checkpoint_key_file or settings.data_dir / "checkpoint-signing.pem"


def chainer_config(settings: Settings, store: LedgerStore) -> ChainerConfig:
    return ChainerConfig(
        events_table=events_table(store),
        checkpoint_dir=checkpoint_dir_of(settings),
        signing_key=load_or_create_signing_key(signing_key_path_of(settings)),
        batch_size=settings.chain_batch_size,
        checkpoint_every_events=settings.checkpoint_every_events,
        checkpoint_every_s=settings.checkpoint_every_s,
    )


def start_chainer(
    settings: Settings, store: LedgerStore, database_url: str, stopping: threading.Event
) -> threading.Thread:
    config = chainer_config(settings, store)
    thread = threading.Thread(
        target=run_chainer,
        name="chainer",
        args=(
            lambda: psycopg.connect(database_url, autocommit=True),
            config,
            settings.chain_poll_ms / 1000,
            stopping,
        ),
        daemon=True,
    )
    thread.start()
    return thread
