"""Ledger benchmark: command throughput, replay speed and projection lag, each next to a raw
baseline measured in the same run on the same fresh PostgreSQL database.

Not part of CI. From the repository root:

    .venv/bin/python -m tests.bench.bench_ledger [--quick] [--json PATH]

It creates a throwaway database `ledger_bench_<hex>` (dropped at the end) on the server named by
LEDGER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres), and starts (and
kills) its own Tansu broker for the Kafka-fed lag measurement. Feed and relay settings are the
project's `Settings` defaults, so LEDGER_PROJECTOR_POLL_MS and friends change them.

Sections:
1. Throughput: `record_charge`/`record_payment` through the command layer, 1 and 8 clients, as
   threads (one shared store) and as processes (one store each); each client works on its own
   resellers, so clients never conflict. Raw baseline: one-row INSERT + COMMIT with psycopg, same
   clients, same mechanism. Plus one shared account hammered by 1 and by 8 threads, and the
   latency of one command against credit accounts with long histories.
2. Replay: `replays.rebuild.rebuild` of every projector into a named schema, against the raw
   notification-log read (`select_notifications`) and the decoded read (`read_envelopes`).
3. Lag: paced commands at a fixed rate; a poller reads every projection's `tenant_position`
   every few milliseconds; lag = save returned -> tenant position reached the command's
   position. Store-fed (one feed process, like `ledger project --feed store`) and Kafka-fed
   (a relay process and a projector process, like `ledger relay` + `ledger project`).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

import projections.envelope as envelope
import projections.feeds as feeds
from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    record_charge,
    record_payment,
)
from commands.customers.customers import CreateCustomer, create_customer
from commands.errors import Conflict
from commands.partners.resellers import CreateReseller, create_reseller
from commands.runner import Outcome, fingerprint, run_command
from commands.store_access import load
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.ledger.money import Money
from infra.database import create_read_models
from infra.event_store import EVENTS_TABLE, LedgerStore, open_store
from infra.logging import configure_logging
from infra.relay import ensure_relay_tables, ensure_topic, published_positions
from infra.runtime import Runtime, cli_context, kafka_consumer, relay_for, start_store_feed
from infra.settings import Settings
from projections.base import Projector
from projections.registry import PROJECTORS
from replays.rebuild import drop_schema, rebuild
from tests.support.privacy import TEST_MASTER_KEY
from tests.support.services import Broker, throwaway_database

RAW_PAYLOAD_BYTES = 600
"""About the size of a stored charge event's state (JSON with postings and actor metadata)."""
REPLAY_BATCH = 500
POLL_INTERVAL_S = 0.005
WAIT_TIMEOUT_S = 120.0
ASSIGNMENT_TIMEOUT_S = 60.0
CURRENCY = "USD"


@dataclass(frozen=True)
class Plan:
    """How much work each section does (full run, or --quick)."""

    commands_per_client: int
    accounts_per_client: int
    raw_per_client: int
    shared_account_commands: int
    history_sizes: tuple[int, ...]
    history_probe_commands: int
    lag_rate: float
    lag_seconds: float
    lag_issuers: int
    lag_accounts_per_issuer: int
    replay_min_events: int
    seed_workers: int


FULL = Plan(
    commands_per_client=300,
    accounts_per_client=30,
    raw_per_client=1500,
    shared_account_commands=160,
    history_sizes=(10, 1000, 4000),
    history_probe_commands=20,
    lag_rate=150.0,
    lag_seconds=10.0,
    lag_issuers=4,
    lag_accounts_per_issuer=20,
    replay_min_events=22_000,
    seed_workers=2,
)
QUICK = Plan(
    commands_per_client=100,
    accounts_per_client=10,
    raw_per_client=500,
    shared_account_commands=80,
    history_sizes=(10, 1000),
    history_probe_commands=10,
    lag_rate=150.0,
    lag_seconds=4.0,
    lag_issuers=4,
    lag_accounts_per_issuer=10,
    replay_min_events=8_000,
    seed_workers=2,
)


def say(message: str) -> None:
    """Progress on stderr; the results table goes to stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


# --- setting up ----------------------------------------------------------------------------


def prepare(url: str) -> LedgerStore:
    """The event store, read-model schemas, relay tables and the raw-baseline table."""
    store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=12)
    with psycopg.connect(url, autocommit=True) as conn:
        create_read_models(conn)
        ensure_relay_tables(conn)
        conn.execute("CREATE SCHEMA bench_raw")
        conn.execute(
            "CREATE TABLE bench_raw.rows (id bigserial PRIMARY KEY, payload bytea NOT NULL)"
        )
    return store


_codes = iter(range(1, 10**9))


def create_resellers(store: LedgerStore, count: int) -> list[int]:
    """`count` new top-level resellers (each its own tenant) with a large credit limit."""
    numbers = []
    for _ in range(count):
        code = f"BENCH{next(_codes):06d}"
        result = create_reseller(
            store,
            cli_context(),
            CreateReseller(
                reseller_code=code,
                name=f"Bench reseller {code}",
                country="NG",
                currency=CURRENCY,
                credit_limit=Decimal(1_000_000_000),
            ),
        )
        numbers.append(int(json.loads(result.body)["reseller_id"]))
    return numbers


def count_events(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            pgsql.SQL("SELECT count(*) FROM {}").format(pgsql.Identifier(EVENTS_TABLE))
        ).fetchone()
    return int(row[0]) if row else 0


# --- clients (threads or processes) ----------------------------------------------------------

CHARGE = RecordCharge(amount=Decimal("12.34"), currency=CURRENCY, description="bench charge")
PAYMENT = RecordPayment(amount=Decimal("10.00"), currency=CURRENCY, method="bank_transfer")
CUSTOMER = CreateCustomer(
    customer_type="person",
    first_name="Ada",
    last_name="Bench",
    email="ada@example.com",
    phone="+2348000000000",
    city="Lagos",
)


@dataclass(frozen=True)
class ClientJob:
    """One client's work: `kind` is "command" (charge/payment alternating per account),
    "raw" (one-row INSERT + COMMIT) or "seed" (customers and charges, for the replay)."""

    kind: str
    url: str
    resellers: tuple[int, ...]
    count: int


@dataclass
class ClientResult:
    done: int
    started: float
    """time.monotonic() (CLOCK_MONOTONIC: comparable across processes on Linux)."""
    finished: float
    latencies_ms: list[float]
    conflicts: int = 0


def _operation(job: ClientJob, store: LedgerStore | None) -> tuple[Callable[[int], None], Any]:
    """The client's i-th operation, and what to close afterwards."""
    if job.kind == "raw":
        conn = psycopg.connect(job.url)
        payload = os.urandom(RAW_PAYLOAD_BYTES)
        conn.execute("SELECT 1")
        conn.commit()

        def raw(_: int) -> None:
            conn.execute("INSERT INTO bench_raw.rows (payload) VALUES (%s)", (payload,))
            conn.commit()

        return raw, conn
    assert store is not None
    resellers = job.resellers
    # Warm the path (imports, pool, prepared statements) without writing anything.
    load(store, credit_account_id(resellers[0]), CreditAccount, "credit account")
    if job.kind == "command":

        def command(i: int) -> None:
            # Each account in turn; each account alternates charge and payment.
            reseller = resellers[i % len(resellers)]
            if (i // len(resellers)) % 2 == 0:
                record_charge(store, cli_context(), reseller, CHARGE)
            else:
                record_payment(store, cli_context(), reseller, PAYMENT)

        return command, None

    def seed(i: int) -> None:
        reseller = resellers[i % len(resellers)]
        if i % 4 == 3:
            record_charge(store, cli_context(), reseller, CHARGE)
        else:
            create_customer(
                store, cli_context(), CUSTOMER.model_copy(update={"reseller_id": reseller})
            )

    return seed, None


def run_client(job: ClientJob, store: LedgerStore | None, wait: Callable[[], Any]) -> ClientResult:
    """Prepare, wait for the other clients, then run `job.count` operations back to back."""
    operation, closeable = _operation(job, store)
    latencies: list[float] = []
    conflicts = 0
    try:
        wait()
        started = time.monotonic()
        for i in range(job.count):
            t = time.perf_counter()
            try:
                operation(i)
            except Conflict:
                conflicts += 1
                continue
            latencies.append((time.perf_counter() - t) * 1000)
        finished = time.monotonic()
    finally:
        if closeable is not None:
            closeable.close()
    return ClientResult(len(latencies), started, finished, latencies, conflicts)


def _process_client(job: ClientJob, open_lock: Any, barrier: Any, results: Any) -> None:
    """Entry point of one client process (spawned)."""
    configure_logging("WARNING", json_output=False)
    store = None
    try:
        if job.kind != "raw":
            # open_store runs CREATE OR REPLACE FUNCTION each time: concurrent opens can fail
            # with "tuple concurrently updated", so the processes open their stores in turn.
            with open_lock:
                store = open_store(job.url, personal_data_key=TEST_MASTER_KEY, pool_size=2)
        result = run_client(job, store, lambda: barrier.wait(timeout=WAIT_TIMEOUT_S))
        results.put(result)
    except BaseException as error:
        barrier.abort()
        results.put(f"{type(error).__name__}: {error}")
        raise
    finally:
        if store is not None:
            store.close()


def run_clients(
    jobs: Sequence[ClientJob], mechanism: str, store: LedgerStore
) -> list[ClientResult]:
    """Run the jobs concurrently as threads (sharing `store`) or as spawned processes."""
    if mechanism == "threads":
        thread_barrier = threading.Barrier(len(jobs))
        results: list[ClientResult | BaseException] = []
        lock = threading.Lock()

        def body(job: ClientJob) -> None:
            try:
                result: ClientResult | BaseException = run_client(
                    job, store, lambda: thread_barrier.wait(timeout=WAIT_TIMEOUT_S)
                )
            except BaseException as error:
                thread_barrier.abort()
                result = error
            with lock:
                results.append(result)

        threads = [threading.Thread(target=body, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, ClientResult)]

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    open_lock = ctx.Lock()
    processes = [
        ctx.Process(target=_process_client, args=(job, open_lock, barrier, out)) for job in jobs
    ]
    for process in processes:
        process.start()
    try:
        collected = [out.get(timeout=WAIT_TIMEOUT_S * 3) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    failures = [r for r in collected if not isinstance(r, ClientResult)]
    if failures:
        raise RuntimeError(f"client process failed: {failures[0]}")
    return collected


@dataclass
class Throughput:
    label: str
    mechanism: str
    clients: int
    operations: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    conflicts: int


def summarise(label: str, mechanism: str, results: Sequence[ClientResult]) -> Throughput:
    done = sum(r.done for r in results)
    seconds = max(r.finished for r in results) - min(r.started for r in results)
    latencies = [x for r in results for x in r.latencies_ms]
    return Throughput(
        label,
        mechanism,
        len(results),
        done,
        seconds,
        done / seconds if seconds > 0 else math.nan,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        sum(r.conflicts for r in results),
    )


# --- section 1: throughput ----------------------------------------------------------------------


def bench_throughput(url: str, store: LedgerStore, plan: Plan) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for mechanism in ("threads", "processes"):
        for clients in (1, 8):
            raw_jobs = [ClientJob("raw", url, (), plan.raw_per_client) for _ in range(clients)]
            say(f"throughput: raw INSERT+COMMIT, {clients} {mechanism}")
            raw = summarise("raw", mechanism, run_clients(raw_jobs, mechanism, store))
            say(f"throughput: creating {clients * plan.accounts_per_client} resellers")
            numbers = create_resellers(store, clients * plan.accounts_per_client)
            jobs = [
                ClientJob(
                    "command",
                    url,
                    tuple(numbers[i::clients]),
                    plan.commands_per_client,
                )
                for i in range(clients)
            ]
            say(f"throughput: commands, {clients} {mechanism}")
            command = summarise("command", mechanism, run_clients(jobs, mechanism, store))
            rows.append(
                {
                    "mechanism": mechanism,
                    "clients": clients,
                    "command": asdict(command),
                    "raw": asdict(raw),
                    "ratio": command.per_second / raw.per_second,
                }
            )

    shared: list[dict[str, Any]] = []
    for clients in (1, 8):
        say(f"throughput: one shared account, {clients} threads")
        (number,) = create_resellers(store, 1)
        per_client = plan.shared_account_commands // clients
        jobs = [ClientJob("command", url, (number,), per_client) for _ in range(clients)]
        shared.append(asdict(summarise("shared", "threads", run_clients(jobs, "threads", store))))

    say("throughput: latency against long account histories")
    history = [
        history_latency(store, size, plan.history_probe_commands) for size in plan.history_sizes
    ]
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            pgsql.SQL("SELECT avg(octet_length(state))::int FROM {} WHERE topic LIKE %s").format(
                pgsql.Identifier(EVENTS_TABLE)
            ),
            ("%ChargeRecorded",),
        ).fetchone()
    return {
        "runs": rows,
        "shared_account": shared,
        "history": history,
        "accounts_per_client": plan.accounts_per_client,
        "commands_per_client": plan.commands_per_client,
        "raw_payload_bytes": RAW_PAYLOAD_BYTES,
        "charge_event_state_bytes": row[0] if row else None,
    }


def history_latency(store: LedgerStore, size: int, probes: int) -> dict[str, Any]:
    """record_charge latency on an account that already holds about `size` events. The history
    is written in bulk (many charges per `run_command`), so only the probes are timed."""
    (number,) = create_resellers(store, 1)
    remaining = size - 1
    amount = Money.of("1.00", CURRENCY)
    today = datetime.now(UTC).date()
    while remaining > 0:
        chunk = min(remaining, 1000)

        def handle(chunk: int = chunk) -> Outcome:
            account = load(store, credit_account_id(number), CreditAccount, "credit account")
            for _ in range(chunk):
                account.record_charge(amount, "bench history", None, today)
            return Outcome([account], {}, account.tenant_number, account.reseller_number)

        run_command(store, cli_context(), handle, fingerprint("bench-history", number, remaining))
        remaining -= chunk
    latencies = []
    for _ in range(probes):
        t = time.perf_counter()
        record_charge(store, cli_context(), number, CHARGE)
        latencies.append((time.perf_counter() - t) * 1000)
    return {
        "history_events": size,
        "commands": probes,
        "p50_ms": percentile(latencies, 0.5),
        "max_ms": max(latencies),
    }


# --- section 2: replay --------------------------------------------------------------------------


def seed_events(url: str, store: LedgerStore, plan: Plan) -> int:
    """Top the log up to `replay_min_events` with real commands (3 customers : 1 charge)."""
    have = count_events(url)
    missing = plan.replay_min_events - have
    if missing <= 0:
        return 0
    commands = math.ceil(missing / 1.75) + plan.seed_workers  # 7 events per 4 commands
    per_worker = math.ceil(commands / plan.seed_workers)
    say(f"replay: seeding ~{missing} events with {per_worker * plan.seed_workers} commands")
    numbers = create_resellers(store, 20 * plan.seed_workers)
    jobs = [
        ClientJob("seed", url, tuple(numbers[i :: plan.seed_workers]), per_worker)
        for i in range(plan.seed_workers)
    ]
    return sum(r.done for r in run_clients(jobs, "processes", store))


def read_all(store: LedgerStore, batch: int, decode: bool) -> tuple[int, float]:
    """Read the whole log in batches, raw or decoded to envelopes: (events read, seconds)."""
    position, rows = 0, 0
    started = time.perf_counter()
    while True:
        if decode:
            envelopes = envelope.read_envelopes(store, position, batch)
            if not envelopes:
                break
            position, rows = envelopes[-1].position, rows + len(envelopes)
        else:
            notifications = store.recorder.select_notifications(
                start=position, limit=batch, inclusive_of_start=False
            )
            if not notifications:
                break
            position, rows = notifications[-1].id, rows + len(notifications)
    return rows, time.perf_counter() - started


def bench_replay(url: str, store: LedgerStore, plan: Plan) -> dict[str, Any]:
    seeded = seed_events(url, store, plan)
    events = count_events(url)
    say(f"replay: {events} events in the log")

    read_all(store, REPLAY_BATCH, decode=False)  # warm the buffer cache; not timed
    raw_rows, raw_s = read_all(store, REPLAY_BATCH, decode=False)
    env_rows, env_s = read_all(store, REPLAY_BATCH, decode=True)
    raw_rate, env_rate = raw_rows / raw_s, env_rows / env_s
    rebuilds = []
    with psycopg.connect(url, autocommit=True) as conn:
        for projector in PROJECTORS.values():
            schema = f"bench_replay_{projector.name}"
            say(f"replay: rebuilding {projector.name} into {schema}")
            report = rebuild(store, conn, projector, REPLAY_BATCH, target_schema=schema)
            rebuilds.append(
                {
                    "projector": projector.name,
                    "events": report.events,
                    "seconds": report.seconds,
                    "events_per_second": report.events_per_second,
                    "vs_raw": report.events_per_second / raw_rate,
                    "vs_envelopes": report.events_per_second / env_rate,
                }
            )
            drop_schema(conn, schema)
    return {
        "events": events,
        "seeded_commands": seeded,
        "batch": REPLAY_BATCH,
        "raw_rows": raw_rows,
        "raw_seconds": raw_s,
        "raw_rows_per_second": raw_rate,
        "envelopes": env_rows,
        "envelope_seconds": env_s,
        "envelopes_per_second": env_rate,
        "envelopes_vs_raw": env_rate / raw_rate,
        "rebuilds": rebuilds,
    }


# --- section 3: projection lag ------------------------------------------------------------------


@dataclass
class KafkaFeedReport:
    """What one projector's Kafka feed did, seen from outside `run_kafka_feed`."""

    polls: int = 0
    empty_polls: int = 0
    records: int = 0
    """Messages the consumer's polls returned."""
    assigned_after_s: float | None = None
    """Seconds from the consumer's creation to its first partition assignment."""
    longest_between_polls_s: float = 0.0
    """Longest time the feed thread spent away from `consumer.poll` (applying, reconciling)."""
    store_repairs: int = 0
    """`repair_tenant` calls (gap repairs and idle reconciles with the relay's positions)."""
    store_repaired_events: int = 0
    feed_stats: dict[str, Any] | None = None
    """`projections.feeds.FeedStats`, when the project has it."""


class CountingConsumer:
    """Wraps a KafkaConsumer: counts what `poll` returns and notes the first assignment."""

    def __init__(self, consumer: Any, report: KafkaFeedReport) -> None:
        self.consumer = consumer
        self.report = report
        self.created = time.monotonic()
        self.returned: float | None = None

    def poll(self, **kwargs: Any) -> Any:
        called = time.monotonic()
        if self.returned is not None:
            away = called - self.returned
            self.report.longest_between_polls_s = max(self.report.longest_between_polls_s, away)
        batches = self.consumer.poll(**kwargs)
        self.returned = time.monotonic()
        records = sum(len(r) for r in batches.values())
        self.report.polls += 1
        self.report.records += records
        self.report.empty_polls += records == 0
        if self.report.assigned_after_s is None and self.consumer.assignment():
            self.report.assigned_after_s = self.returned - self.created
        return batches

    def commit(self) -> None:
        self.consumer.commit()

    def assignment(self) -> Any:
        return self.consumer.assignment()


def _count_store_repairs(reports: dict[str, KafkaFeedReport]) -> None:
    """Count `projections.feeds.repair_tenant` calls per projector (this process only)."""
    original = feeds.repair_tenant

    def counted(
        store: Any, conn: Any, projector: type[Projector], *args: Any, **kwargs: Any
    ) -> int:
        applied = original(store, conn, projector, *args, **kwargs)
        report = reports[projector.name]
        report.store_repairs += 1
        report.store_repaired_events += applied
        return applied

    feeds.repair_tenant = counted  # type: ignore[assignment]


def _kafka_feed(
    runtime: Runtime,
    projector: type[Projector],
    report: KafkaFeedReport,
    stopping: threading.Event,
) -> None:
    """One projector's Kafka feed, wired as `infra.runtime.start_kafka_feeds` wires it."""
    settings = runtime.settings

    def published() -> dict[int, int]:
        with runtime.connect() as conn:
            return published_positions(conn)

    consumer = kafka_consumer(settings, projector)
    stats_type = getattr(feeds, "FeedStats", None)
    stats = stats_type() if stats_type is not None else None
    extra = {"stats": stats} if stats is not None else {}
    try:
        feeds.run_kafka_feed(
            runtime.store,
            runtime.connect,
            projector,
            CountingConsumer(consumer, report),
            published,
            settings.projector_batch_size,
            settings.projector_poll_ms,
            stopping,
            **extra,
        )
    finally:
        consumer.close()
        report.feed_stats = asdict(stats) if stats is not None else None


@dataclass
class FeedSignals:
    """Multiprocessing events shared with a feed process."""

    ready: Any
    assigned: Any
    """Set by the "kafka" process once every consumer has a partition assignment."""
    window: Any
    """Set by the main process when the measured window starts."""
    stop: Any


def _feed_process(
    role: str, url: str, bootstrap: str | None, open_lock: Any, signals: FeedSignals, results: Any
) -> None:
    """A feed process (spawned). Role "store": the store feed for all projectors (like
    `ledger project --feed store`); "relay": the relay (`ledger relay`); "kafka": one Kafka feed
    thread per projector (`ledger project`). Logs at ERROR only: the Kafka feed's repairs log a
    warning per tenant, which are counted instead."""
    configure_logging("ERROR", json_output=False)
    settings = Settings(database_url=url, kafka_bootstrap=bootstrap)
    with open_lock:
        store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=6)
    runtime = Runtime(settings, url, store)
    stopping = threading.Event()
    projectors = list(PROJECTORS.values())
    reports = {p.name: KafkaFeedReport() for p in projectors} if role == "kafka" else {}
    threads: list[threading.Thread] = []
    at_window: dict[str, dict[str, Any]] | None = None
    try:
        if role == "store":
            threads.append(start_store_feed(runtime, projectors, stopping))  # already started
        elif role == "relay":
            relay = relay_for(runtime)
            threads.append(threading.Thread(target=relay.run, args=(stopping,), daemon=True))
        else:
            _count_store_repairs(reports)
            threads += [
                threading.Thread(
                    target=_kafka_feed,
                    args=(runtime, p, reports[p.name], stopping),
                    name=f"kafka-feed-{p.name}",
                    daemon=True,
                )
                for p in projectors
            ]
        for thread in threads:
            if thread.ident is None:
                thread.start()
        signals.ready.set()
        while not signals.stop.wait(0.1):
            if reports and all(r.assigned_after_s is not None for r in reports.values()):
                signals.assigned.set()
            if signals.window.is_set() and at_window is None:
                at_window = {name: asdict(r) for name, r in reports.items()}
            dead = [t.name for t in threads if not t.is_alive()]
            if dead:
                raise RuntimeError(f"{role}: thread(s) died: {dead}")
    except BaseException as error:
        results.put((role, f"{type(error).__name__}: {error}"))
        raise
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=15)
        store.close()
    totals = {name: asdict(r) for name, r in reports.items()}
    results.put((role, {"total": totals, "window": _since(at_window, totals)}))


def _since(
    before: dict[str, dict[str, Any]] | None, after: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]] | None:
    """Counter differences (numbers, and the numbers in `feed_stats`) between two snapshots."""
    if before is None:
        return None

    def diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in b.items():
            if isinstance(value, dict):
                out[key] = diff(a.get(key) or {}, value)
            elif isinstance(value, int) and not isinstance(value, bool):
                out[key] = value - (a.get(key) or 0)
        return out

    return {name: diff(before[name], after[name]) for name in after}


class LagProbe:
    """Polls every projection's tenant_position and records, per command, how long after its
    save returned the projection first showed its position."""

    def __init__(self, url: str, tenants: Sequence[int]) -> None:
        self.url = url
        self.tenants = sorted(set(tenants))
        self.inbox: queue.SimpleQueue[tuple[int, int, int, float]] = queue.SimpleQueue()
        self.pending: dict[str, dict[int, deque[tuple[int, int, float]]]] = {
            name: {} for name in PROJECTORS
        }
        self.lags: dict[str, dict[int, float]] = {name: {} for name in PROJECTORS}
        self.expected = 0
        self.polls = 0
        parts = [
            pgsql.SQL("SELECT {}::text, tenant, position FROM {}.tenant_position").format(
                pgsql.Literal(name), pgsql.Identifier(p.live_schema())
            )
            + pgsql.SQL(" WHERE tenant = ANY(%(tenants)s)")
            for name, p in PROJECTORS.items()
        ]
        self.query = pgsql.SQL(" UNION ALL ").join(parts)

    def expect(self, command: int, tenant: int, position: int, saved_at: float) -> None:
        self.inbox.put((command, tenant, position, saved_at))

    def outstanding(self) -> int:
        return self.inbox.qsize() + sum(
            len(q) for per in self.pending.values() for q in per.values()
        )

    def run(self, stopping: threading.Event) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not stopping.is_set():
                while True:
                    try:
                        command, tenant, position, saved = self.inbox.get_nowait()
                    except queue.Empty:
                        break
                    self.expected += 1
                    for per in self.pending.values():
                        per.setdefault(tenant, deque()).append((position, command, saved))
                polled_at = time.monotonic()
                rows = conn.execute(self.query, {"tenants": self.tenants}).fetchall()
                self.polls += 1
                for name, tenant, position in rows:
                    waiting = self.pending[name].get(int(tenant))
                    while waiting and waiting[0][0] <= position:
                        _, command, saved = waiting.popleft()
                        self.lags[name][command] = max(0.0, polled_at - saved) * 1000
                spent = time.monotonic() - polled_at
                stopping.wait(max(0.0, POLL_INTERVAL_S - spent))


@dataclass
class Pace:
    """How well the fixed schedule held."""

    commands: int = 0
    late_over_10ms: int = 0
    max_late_ms: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)


def _issuer(
    store: LedgerStore,
    index: int,
    issuers: int,
    pool: Sequence[int],
    total: int,
    rate: float,
    start: float,
    probe: LagProbe | None,
    pace: Pace,
) -> None:
    """Command k (for k = index, index + issuers, ...) is due at start + k / rate; each account
    of the pool in turn, a round of charges, then a round of customer registrations."""
    for k in range(index, total, issuers):
        due = start + k / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        late = max(0.0, time.monotonic() - due) * 1000
        j = k // issuers
        reseller = pool[j % len(pool)]
        t = time.perf_counter()
        if (j // len(pool)) % 2 == 0:
            result = record_charge(store, cli_context(), reseller, CHARGE)
        else:
            result = create_customer(
                store, cli_context(), CUSTOMER.model_copy(update={"reseller_id": reseller})
            )
        saved_at = time.monotonic()
        pace.latencies_ms.append((time.perf_counter() - t) * 1000)
        pace.commands += 1
        pace.late_over_10ms += late > 10
        pace.max_late_ms = max(pace.max_late_ms, late)
        if probe is not None and result.position is not None:
            probe.expect(k, reseller, result.position, saved_at)


def _wait_visible(url: str, positions: dict[int, int], timeout_s: float) -> None:
    """Until every projection shows every tenant at (at least) the given position."""
    probe = LagProbe(url, list(positions))
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            seen: dict[tuple[str, int], int] = {
                (name, int(t)): int(p)
                for name, t, p in conn.execute(probe.query, {"tenants": probe.tenants})
            }
            if all(
                seen.get((name, tenant), 0) >= position
                for name in PROJECTORS
                for tenant, position in positions.items()
            ):
                return
            time.sleep(0.05)
    raise TimeoutError(f"projections did not catch up within {timeout_s}s")


def lag_phase(
    url: str,
    store: LedgerStore,
    plan: Plan,
    feed: str,
    pool: Sequence[int],
    bootstrap: str | None,
) -> dict[str, Any]:
    """Start the feed process(es), warm up, run the paced load, and collect the lags."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    out = ctx.Queue()
    open_lock = ctx.Lock()
    roles = ["store"] if feed == "store" else ["relay", "kafka"]
    assigned, window = ctx.Event(), ctx.Event()
    processes = []
    for role in roles:
        signals = FeedSignals(ctx.Event(), assigned, window, stop)
        process = ctx.Process(
            target=_feed_process, args=(role, url, bootstrap, open_lock, signals, out)
        )
        process.start()
        processes.append((role, process, signals.ready))
    assign_s: float | None = None
    try:
        for role, process, ready in processes:
            if not ready.wait(WAIT_TIMEOUT_S) or not process.is_alive():
                raise RuntimeError(f"{role} feed process did not start")
        if feed == "kafka":
            say("lag/kafka: waiting for every consumer's partition assignment")
            waited = time.monotonic()
            if assigned.wait(ASSIGNMENT_TIMEOUT_S):
                assign_s = time.monotonic() - waited
            else:
                say(f"lag/kafka: consumers not all assigned after {ASSIGNMENT_TIMEOUT_S:g}s")
        say(f"lag/{feed}: warming up (one charge per tenant, all projections caught up)")
        warm_started = time.monotonic()
        positions: dict[int, int] = {}
        for reseller in pool:
            result = record_charge(store, cli_context(), reseller, CHARGE)
            assert result.position is not None
            positions[reseller] = result.position
        _wait_visible(url, positions, WAIT_TIMEOUT_S)
        warm_s = time.monotonic() - warm_started
        time.sleep(0.5)

        total = int(plan.lag_rate * plan.lag_seconds)
        say(f"lag/{feed}: {total} commands at {plan.lag_rate:g}/s")
        probe = LagProbe(url, pool)
        polling = threading.Event()
        poller = threading.Thread(target=probe.run, args=(polling,), daemon=True)
        poller.start()
        paces = [Pace() for _ in range(plan.lag_issuers)]
        window.set()
        start = time.monotonic() + 0.2
        issuers = [
            threading.Thread(
                target=_issuer,
                args=(
                    store,
                    i,
                    plan.lag_issuers,
                    pool[i :: plan.lag_issuers],
                    total,
                    plan.lag_rate,
                    start,
                    probe,
                    paces[i],
                ),
            )
            for i in range(plan.lag_issuers)
        ]
        for thread in issuers:
            thread.start()
        for thread in issuers:
            thread.join()
        load_s = time.monotonic() - start
        deadline = time.monotonic() + 30
        while probe.outstanding() and time.monotonic() < deadline:
            time.sleep(0.05)
        polling.set()
        poller.join(timeout=5)
    finally:
        stop.set()
        feed_stats: dict[str, Any] = {}
        for _, process, _ in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
        while True:
            try:
                role, stats = out.get(timeout=1)
            except queue.Empty:
                break
            feed_stats[role] = stats
    latencies = [x for p in paces for x in p.latencies_ms]
    per_projector = {}
    for name, lags in probe.lags.items():
        values = list(lags.values())
        per_projector[name] = {
            "observed": len(values),
            "p50_ms": percentile(values, 0.5),
            "p99_ms": percentile(values, 0.99),
            "max_ms": max(values) if values else math.nan,
        }
    complete = [
        max(probe.lags[name][k] for name in PROJECTORS)
        for k in probe.lags[next(iter(PROJECTORS))]
        if all(k in probe.lags[name] for name in PROJECTORS)
    ]
    per_projector["all"] = {
        "observed": len(complete),
        "p50_ms": percentile(complete, 0.5),
        "p99_ms": percentile(complete, 0.99),
        "max_ms": max(complete) if complete else math.nan,
    }
    return {
        "feed": feed,
        "commands": sum(p.commands for p in paces),
        "expected": probe.expected,
        "unobserved": probe.outstanding(),
        "achieved_rate": sum(p.commands for p in paces) / load_s,
        "late_over_10ms": sum(p.late_over_10ms for p in paces),
        "max_late_ms": max(p.max_late_ms for p in paces),
        "command_p50_ms": percentile(latencies, 0.5),
        "command_p99_ms": percentile(latencies, 0.99),
        "polls": probe.polls,
        "warmup_seconds": warm_s,
        "consumers_assigned_after_s": assign_s,
        "projectors": per_projector,
        "feed_stats": feed_stats,
    }


def bench_lag(url: str, store: LedgerStore, plan: Plan) -> dict[str, Any]:
    settings = Settings(database_url=url)
    say(f"lag: creating {plan.lag_issuers * plan.lag_accounts_per_issuer} resellers")
    pool = create_resellers(store, plan.lag_issuers * plan.lag_accounts_per_issuer)
    phases = [lag_phase(url, store, plan, "store", pool, None)]
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as log_dir:
        broker = Broker(Path(log_dir))
        broker.start()
        try:
            ensure_topic(broker.bootstrap, settings.kafka_topic, settings.kafka_partitions)
            phases.append(lag_phase(url, store, plan, "kafka", pool, broker.bootstrap))
        finally:
            broker.stop()
    return {
        "rate": plan.lag_rate,
        "seconds": plan.lag_seconds,
        "issuer_threads": plan.lag_issuers,
        "poll_interval_ms": POLL_INTERVAL_S * 1000,
        "settings": {
            "projector_poll_ms": settings.projector_poll_ms,
            "projector_batch_size": settings.projector_batch_size,
            "relay_poll_ms": settings.relay_poll_ms,
            "relay_batch_size": settings.relay_batch_size,
            "kafka_partitions": settings.kafka_partitions,
        },
        "phases": phases,
    }


# --- report -------------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out


def _n(value: float, digits: int = 0) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _pair(window: dict[str, Any], total: dict[str, Any], key: str) -> str:
    return f"{window.get(key, '?')} / {total.get(key, '?')}"


def render(results: dict[str, Any]) -> str:
    t = results["throughput"]
    lines = [
        f"Ledger benchmark: {results['cpus']} CPUs, {results['postgres']}, "
        f"{'quick' if results['quick'] else 'full'} run, {results['runtime_seconds']:.0f} s",
        "",
        f"1. Command throughput: record_charge/record_payment alternating; each client has "
        f"its own {t['accounts_per_client']} resellers (no conflicts), "
        f"{t['commands_per_client']} commands per client (account history stays <= "
        f"{math.ceil(t['commands_per_client'] / t['accounts_per_client']) + 1} events). "
        f"Raw = one-row INSERT ({t['raw_payload_bytes']} B bytea) + COMMIT via psycopg "
        f"(a charge event's state is {t['charge_event_state_bytes']} B).",
    ]
    rows = [
        [
            r["mechanism"],
            str(r["clients"]),
            _n(r["command"]["per_second"]),
            _n(r["raw"]["per_second"]),
            _n(r["ratio"], 3),
            _n(r["command"]["p50_ms"], 1),
            _n(r["command"]["p99_ms"], 1),
            _n(r["raw"]["p50_ms"], 2),
            _n(r["raw"]["p99_ms"], 2),
        ]
        for r in t["runs"]
    ]
    lines += _table(
        [
            "mechanism",
            "clients",
            "commands/s",
            "raw tx/s",
            "cmd/raw",
            "cmd p50 ms",
            "cmd p99 ms",
            "raw p50 ms",
            "raw p99 ms",
        ],
        rows,
    )
    lines += ["", "   One shared credit account (threads; history grows from 1 event):"]
    lines += _table(
        ["clients", "commands", "commands/s", "p50 ms", "p99 ms", "gave up (Conflict)"],
        [
            [
                str(s["clients"]),
                str(s["operations"]),
                _n(s["per_second"]),
                _n(s["p50_ms"], 1),
                _n(s["p99_ms"], 1),
                str(s["conflicts"]),
            ]
            for s in t["shared_account"]
        ],
    )
    lines += [
        "",
        "   record_charge latency vs the account's history (1 client; snapshots every 50):",
    ]
    lines += _table(
        ["history events", "p50 ms", "max ms"],
        [[str(h["history_events"]), _n(h["p50_ms"], 1), _n(h["max_ms"], 1)] for h in t["history"]],
    )
    r = results["replay"]
    lines += [
        "",
        f"2. Replay over {r['events']:,} events, batches of {r['batch']} "
        f"(raw = store.recorder.select_notifications; decoded = envelope.read_envelopes):",
    ]
    replay_rows = [
        ["raw notification read", _n(r["raw_rows_per_second"]), "1.000", "", ""],
        [
            "decoded envelopes",
            _n(r["envelopes_per_second"]),
            _n(r["envelopes_vs_raw"], 3),
            "1.000",
            "",
        ],
    ]
    replay_rows += [
        [
            f"rebuild {b['projector']}",
            _n(b["events_per_second"]),
            _n(b["vs_raw"], 3),
            _n(b["vs_envelopes"], 3),
            f"{b['seconds']:.1f}",
        ]
        for b in r["rebuilds"]
    ]
    lines += _table(["source", "events/s", "vs raw", "vs decoded", "seconds"], replay_rows)
    g = results["lag"]
    s = g["settings"]
    lines += [
        "",
        f"3. Projection lag at {g['rate']:g} commands/s for {g['seconds']:g} s (charges and "
        f"customer registrations, {g['issuer_threads']} issuer threads, fixed schedule); "
        f"save returned -> tenant_position reached, polled every {g['poll_interval_ms']:g} ms. "
        f"projector_poll_ms={s['projector_poll_ms']}, relay_poll_ms={s['relay_poll_ms']}, "
        f"batch={s['projector_batch_size']}, partitions={s['kafka_partitions']}.",
    ]
    lag_rows = []
    for phase in g["phases"]:
        for name, p in phase["projectors"].items():
            lag_rows.append(
                [
                    phase["feed"],
                    name,
                    f"{p['observed']}/{phase['expected']}",
                    _n(p["p50_ms"], 1),
                    _n(p["p99_ms"], 1),
                    _n(p["max_ms"], 1),
                ]
            )
    lines += _table(["feed", "projector", "observed", "p50 ms", "p99 ms", "max ms"], lag_rows)
    for phase in g["phases"]:
        assigned = phase["consumers_assigned_after_s"]
        lines.append(
            f"   {phase['feed']}: achieved {phase['achieved_rate']:.1f} commands/s, "
            f"{phase['late_over_10ms']} started >10 ms late (max {phase['max_late_ms']:.0f} ms), "
            f"command p50/p99 {phase['command_p50_ms']:.1f}/{phase['command_p99_ms']:.1f} ms, "
            f"warm-up {phase['warmup_seconds']:.1f} s"
            + (f", consumers assigned after {assigned:.1f} s" if assigned is not None else "")
        )
    kafka = next((p for p in g["phases"] if p["feed"] == "kafka"), None)
    reports = (kafka or {}).get("feed_stats", {}).get("kafka")
    if isinstance(reports, dict) and reports.get("total"):
        window = reports.get("window") or {}
        lines += [
            "",
            "   Kafka feed, per projector (during the measured window / whole run): messages "
            "polled from Kafka, events applied from them, store repairs (repair_tenant calls; "
            "events applied by them), longest time away from poll():",
        ]
        rows = []
        for name, total in reports["total"].items():
            w = window.get(name, {})
            fs_w, fs_t = w.get("feed_stats") or {}, total.get("feed_stats") or {}
            rows.append(
                [
                    name,
                    _pair(w, total, "records"),
                    _pair(fs_w, fs_t, "applied_from_kafka"),
                    _pair(w, total, "store_repairs"),
                    _pair(w, total, "store_repaired_events"),
                    "never"
                    if total["assigned_after_s"] is None
                    else f"{total['assigned_after_s']:.1f} s",
                    f"{total['longest_between_polls_s']:.2f} s",
                ]
            )
        lines += _table(
            [
                "projector",
                "polled msgs",
                "applied from kafka",
                "repairs",
                "repaired events",
                "assigned after",
                "max away",
            ],
            rows,
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------


@contextmanager
def bench_database() -> Iterator[str]:
    with throwaway_database(prefix="ledger_bench") as url:
        say(f"database {conninfo_to_dict(url).get('dbname')}")
        yield url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~1 minute run")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    configure_logging("WARNING", json_output=False)
    began = time.monotonic()
    results: dict[str, Any] = {
        "quick": args.quick,
        "plan": asdict(plan),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "started_at": datetime.now(UTC).isoformat(),
        "run_id": uuid.uuid4().hex[:8],
    }
    with bench_database() as url:
        store = prepare(url)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                results["postgres"] = f"PostgreSQL {row[0] if row else '?'}"
            results["throughput"] = bench_throughput(url, store, plan)
            results["lag"] = bench_lag(url, store, plan)
            results["replay"] = bench_replay(url, store, plan)
        finally:
            store.close()
    results["runtime_seconds"] = time.monotonic() - began
    print(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        say(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
