"""Replay benchmark: rebuild events/s per projection over a large store (1,000,000 events by
default), next to the raw notification read rate measured in the same run.

Not part of CI. From the repository root:

    .venv/bin/python -m tests.bench.bench_replay [--events N] [--workers 2] [--json PATH]

It creates a throwaway database `ledger_bench_<hex>` (dropped at the end) on the server named
by LEDGER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).

The store is filled fast but with real events: each tenant's history is made by the domain
aggregates themselves (a reseller with terms and a credit account, customers, their accounts
with monthly invoices and payments, a recurring commission per payment, the wholesale charge
per invoice and a monthly settlement of the credit account), then saved through
`commands.runner.run_command` (actor metadata, one atomic append) in a single save per tenant,
so the library's recorder inserts about a thousand events per transaction. Worker processes
fill distinct tenants in parallel. The events decode and project like any others.

Measured, in order, over the same log: the raw read (`store.recorder.select_notifications`,
batches of --batch), the decoded read (`projections.envelope.read_envelopes`), then
`replays.rebuild.rebuild` of every registered projector into a schema of its own; each
rebuild's events/s is shown as a fraction of the raw rate.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError

from commands.errors import Conflict
from commands.runner import Outcome, fingerprint, run_command
from domain.billing.customer_account import CustomerAccount
from domain.billing.invoice_lines import price_line
from domain.commissions.records import Commission
from domain.credit.credit_account import CreditAccount
from domain.customers.customer import Customer
from domain.ledger.money import Money
from domain.partners.reseller import Reseller
from infra.database import create_read_models
from infra.event_store import LedgerStore, open_store
from infra.logging import configure_logging
from infra.relay import ensure_relay_tables
from infra.runtime import cli_context
from projections.registry import PROJECTORS
from replays.rebuild import drop_schema, rebuild
from tests.bench.bench_ledger import count_events, read_all, say
from tests.support.privacy import TEST_MASTER_KEY
from tests.support.services import throwaway_database

CURRENCY = "USD"
TAX_RATE = Decimal("7.5")
CUSTOMERS_PER_TENANT = 10
MONTHS = 24
FIRST_MONTH = date(2025, 1, 1)
FIRST_TENANT_NUMBER = 100_000
COMMISSION_PERCENT = Decimal("15")
SAVE_ATTEMPTS = 8
NAMESPACE = uuid.UUID("6f1c1d3e-8a2b-4c55-9f7e-3b9d2a1e0c44")


def _months() -> list[tuple[date, date]]:
    periods = []
    start = FIRST_MONTH
    for _ in range(MONTHS):
        following = (start + timedelta(days=32)).replace(day=1)
        periods.append((start, following - timedelta(days=1)))
        start = following
    return periods


PERIODS = _months()


def tenant_history(number: int) -> list[Any]:
    """One tenant's aggregates with all their new events (about 1,000), made by domain
    methods exactly as the commands would."""
    reseller = Reseller.register(
        number=number,
        code=f"B{number}",
        name=f"Bench reseller {number}",
        country="NG",
        currency=CURRENCY,
        parent=None,
    )
    reseller.set_terms(None, COMMISSION_PERCENT, None, None, False)
    credit = CreditAccount.open(number, number, Money.of("100000000", CURRENCY))
    aggregates: list[Any] = [reseller, credit]
    invoice_number = 0
    for c in range(CUSTOMERS_PER_TENANT):
        customer = Customer.register(
            reseller_number=number,
            tenant_number=number,
            portal_id=reseller.next_portal_id(),
            customer_type="person",
            first_name=f"Ada{c}",
            last_name="Bench",
            company_name=None,
            email=f"ada{c}@example.com",
            phone=None,
            address=None,
            city="Lagos",
            portal_credentials_requested=False,
        )
        account = CustomerAccount(customer.id, number, number, CURRENCY)
        aggregates += [customer, account]
        price = Money.of(Decimal(20 + c), CURRENCY)
        for start, end in PERIODS:
            invoice_number += 1
            invoice_id = str(uuid.uuid5(NAMESPACE, f"{customer.id}:{start}"))
            line = price_line(f"Fibre {start}..{end}", Decimal(1), price, TAX_RATE, None)
            account.issue_invoice(
                invoice_id, f"B{number}-{invoice_number:06d}", end, [line], TAX_RATE, start, end
            )
            total = line["net"] + line["tax"]
            paid_on = end + timedelta(days=3)
            payment_id = f"pay-{start:%Y%m}"
            account.receive_payment(payment_id, total, "card", None, paid_on)
            share = Money.of(
                (total.amount * COMMISSION_PERCENT / 100).quantize(Decimal("0.01"), "ROUND_DOWN"),
                CURRENCY,
            )
            aggregates.append(
                Commission.accrue(
                    uuid.uuid5(NAMESPACE, f"{account.id}:{payment_id}"),
                    number,
                    customer.id,
                    total,
                    COMMISSION_PERCENT,
                    share,
                    paid_on,
                    paid_on + timedelta(days=30),
                    f"payment:{account.id}:{payment_id}",
                )
            )
            credit.record_charge(Money.of("15.00", CURRENCY), "wholesale", None, end)
    for _start, end in PERIODS:
        credit.record_payment(
            Money.of(Decimal(15 * CUSTOMERS_PER_TENANT), CURRENCY),
            "bank_transfer",
            None,
            end + timedelta(days=5),
        )
    return aggregates


EVENTS_PER_TENANT = 3 + CUSTOMERS_PER_TENANT * (3 + 4 * MONTHS) + MONTHS
"""Reseller (created, terms, customer numbers), credit account, customers and their accounts,
per customer-month an invoice, a payment, a commission and a charge, and monthly settlements:
checked against the log after filling."""


def save_tenant(store: LedgerStore, number: int) -> None:
    def handle() -> Outcome:
        return Outcome(tenant_history(number), {}, number, number)

    context = cli_context(datetime(2027, 1, 15, tzinfo=UTC))
    run_command(store, context, handle, fingerprint("bench-tenant", number))


def _fill_worker(url: str, numbers: Sequence[int], lock: Any) -> None:
    configure_logging("WARNING", json_output=False)
    with lock:  # opening a store runs DDL; one process at a time
        store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=2)
    try:
        for number in numbers:
            for attempt in range(SAVE_ATTEMPTS):
                try:
                    save_tenant(store, number)
                    break
                except Conflict:
                    break  # an earlier attempt was saved after all: its ids now collide
                except (OperationalError, psycopg.OperationalError) as error:
                    # A shared server may run out of connections for a while.
                    say(f"fill: tenant {number} attempt {attempt + 1} failed: {error}")
                    time.sleep(2 + 2 * attempt)
            else:
                raise RuntimeError(f"tenant {number} could not be saved")
    finally:
        store.close()


def fill(url: str, events: int, workers: int) -> tuple[int, float]:
    tenants = math.ceil(events / EVENTS_PER_TENANT)
    numbers = list(range(FIRST_TENANT_NUMBER, FIRST_TENANT_NUMBER + tenants))
    say(f"fill: {tenants} tenants x ~{EVENTS_PER_TENANT} events, {workers} worker processes")
    started = time.perf_counter()
    ctx = mp.get_context("spawn")
    lock = ctx.Lock()
    processes = [
        ctx.Process(target=_fill_worker, args=(url, numbers[i::workers], lock))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    while any(p.is_alive() for p in processes):
        time.sleep(5 if events < 100_000 else 30)
        try:
            say(f"fill: {count_events(url):,} events")
        except psycopg.OperationalError as error:
            say(f"fill: could not count the events ({error})")
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a fill worker failed with exit code {process.exitcode}")
    return tenants, time.perf_counter() - started


def measure(url: str, store: LedgerStore, batch: int, only: list[str] | None) -> dict[str, Any]:
    events = count_events(url)
    say(f"replay: {events:,} events; warming the cache with one raw read (not timed)")
    read_all(store, batch, decode=False)
    raw_rows, raw_s = read_all(store, batch, decode=False)
    say(f"replay: raw read {raw_rows / raw_s:,.0f} rows/s")
    env_rows, env_s = read_all(store, batch, decode=True)
    say(f"replay: decoded read {env_rows / env_s:,.0f} envelopes/s")
    raw_rate, env_rate = raw_rows / raw_s, env_rows / env_s
    rebuilds = []
    with psycopg.connect(url, autocommit=True) as conn:
        for name, projector in PROJECTORS.items():
            if only and name not in only:
                continue
            schema = f"bench_replay_{name}"
            say(f"replay: rebuilding {name}")
            report = rebuild(store, conn, projector, batch, target_schema=schema)
            rows = sum(
                conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]  # type: ignore[index]
                for table, _ in projector.tables
            )
            drop_schema(conn, schema)
            say(f"replay: {name} {report.events_per_second:,.0f} events/s, {rows:,} rows")
            rebuilds.append(
                {
                    "projector": name,
                    "events": report.events,
                    "rows": rows,
                    "seconds": report.seconds,
                    "events_per_second": report.events_per_second,
                    "vs_raw": report.events_per_second / raw_rate,
                    "vs_decoded": report.events_per_second / env_rate,
                }
            )
    return {
        "events": events,
        "batch": batch,
        "raw_rows_per_second": raw_rate,
        "raw_seconds": raw_s,
        "decoded_per_second": env_rate,
        "decoded_seconds": env_s,
        "rebuilds": rebuilds,
    }


def render(results: dict[str, Any]) -> str:
    r = results["replay"]
    lines = [
        f"Replay benchmark: {r['events']:,} events ({results['tenants']} tenants, filled in "
        f"{results['fill_seconds']:.0f} s), batches of {r['batch']}, {results['cpus']} CPUs, "
        f"{results['postgres']}, load average at start {results['load_at_start']}",
        "",
    ]
    rows = [
        ["raw notification read", f"{r['raw_rows_per_second']:,.0f}", "1.000", "", ""],
        [
            "decoded envelopes",
            f"{r['decoded_per_second']:,.0f}",
            f"{r['decoded_per_second'] / r['raw_rows_per_second']:.3f}",
            "",
            f"{r['decoded_seconds']:.1f}",
        ],
    ]
    rows += [
        [
            f"rebuild {b['projector']}",
            f"{b['events_per_second']:,.0f}",
            f"{b['vs_raw']:.3f}",
            f"{b['rows']:,}",
            f"{b['seconds']:.1f}",
        ]
        for b in r["rebuilds"]
    ]
    headers = ["source", "events/s", "vs raw", "rows written", "seconds"]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="store size to fill")
    parser.add_argument("--workers", type=int, default=2, help="fill processes")
    parser.add_argument("--batch", type=int, default=500, help="read and rebuild batch size")
    parser.add_argument("--projector", action="append", help="only these projectors")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    args = parser.parse_args(argv)
    configure_logging("WARNING", json_output=False)
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "started_at": datetime.now(UTC).isoformat(),
        "load_at_start": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    with throwaway_database(prefix="ledger_bench") as url:
        store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=4)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                create_read_models(conn)
                ensure_relay_tables(conn)
                row = conn.execute("SHOW server_version").fetchone()
                results["postgres"] = f"PostgreSQL {row[0] if row else '?'}"
            results["tenants"], results["fill_seconds"] = fill(url, args.events, args.workers)
            results["replay"] = measure(url, store, args.batch, args.projector)
            expected = results["tenants"] * EVENTS_PER_TENANT
            if results["replay"]["events"] != expected:
                raise RuntimeError(f"{results['replay']['events']} events, expected {expected}")
        finally:
            store.close()
    print(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        say(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
