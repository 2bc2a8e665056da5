"""The `ledger` command: serve, relay, project, replay, diff and admin tasks."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
import uvicorn

from api.app import create_app
from commands.access.tokens import IssueToken, issue_token
from commands.customers.erasure import EraseCustomer, erase_customer
from commands.errors import CommandError
from commands.partners.resellers import CreateReseller, create_reseller
from domain.access.roles import Role
from domain.commissions.statements import PartyDetails
from infra.http_server import server_config
from infra.jobs import make_broker, start_jobs
from infra.logging import configure_logging
from infra.progress import ReplayProgress
from infra.runtime import (
    Runtime,
    bootstrap_token,
    cli_context,
    open_runtime,
    relay_for,
    start_kafka_feeds,
    start_store_feed,
    start_worker,
)
from infra.settings import get_settings
from projections.base import Projector
from projections.commissions.statements import Knowledge
from projections.registry import PROJECTORS
from projections.resume import retry_parked as resume_parked_tenants
from projections.status import projector_statuses
from replays.as_of import SchemaRefused, build_as_of, check_auditor_schema, position_at
from replays.diff import diff_by_key
from replays.rebuild import drop_schema, rebuild
from replays.statements import knowledge_from, write_nec_files, write_vat_files

app = typer.Typer(help="Reseller Ledger: an event-sourced ledger for an ISP's resellers.")
admin = typer.Typer(help="Administrative tasks run directly against the store.")
app.add_typer(admin, name="admin")

THREAD_CHECK_S = 1.0


def _runtime() -> Runtime:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return open_runtime(settings)


def _stop_on_signals() -> threading.Event:
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    return stopping


PROJECTION_NAME_HELP = "Projection: " + ", ".join(PROJECTORS)


def _projectors(names: list[str] | None) -> list[type[Projector]]:
    if not names:
        return list(PROJECTORS.values())
    unknown = sorted(set(names) - set(PROJECTORS))
    if unknown:
        raise typer.BadParameter(f"unknown projector(s): {', '.join(unknown)}")
    return [PROJECTORS[name] for name in names]


def _watch(threads: list[threading.Thread], stopping: threading.Event) -> None:
    """Block until stopped; a worker thread that dies stops the process with an error."""
    while not stopping.wait(THREAD_CHECK_S):
        dead = [t.name for t in threads if not t.is_alive()]
        if dead:
            typer.echo(f"worker thread(s) stopped unexpectedly: {', '.join(dead)}", err=True)
            stopping.set()
            raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides LEDGER_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides LEDGER_PORT")] = None,
) -> None:
    """Run the API. Without LEDGER_DATABASE_URL it starts an embedded PostgreSQL in
    LEDGER_DATA_DIR; without LEDGER_KAFKA_BOOTSTRAP it also runs the projectors on the store."""
    runtime = _runtime()
    settings = runtime.settings
    token = bootstrap_token(runtime)
    stopping = threading.Event()
    if settings.kafka_bootstrap is None:
        start_store_feed(runtime, list(PROJECTORS.values()), stopping)
    worker = None
    if settings.broker_url is None:
        worker = start_worker(runtime, stopping)  # embedded: jobs run in this process
    else:
        # The API only sends jobs; `ledger worker` processes run them.
        start_jobs(
            runtime.store,
            runtime.database_url,
            make_broker(
                settings.broker_url, settings.broker_namespace, settings.worker_heartbeat_timeout_s
            ),
        )
    bind_host = host or settings.host
    bind_port = port if port is not None else settings.port
    config = server_config(create_app(runtime.api_services()), bind_host, bind_port)
    server = uvicorn.Server(config)
    typer.echo(f"Reseller Ledger listening on http://{bind_host}:{bind_port} (docs at /docs)")
    if token is not None:
        typer.echo(f"Bootstrap ISP admin token (shown once, keep it safe): {token}")
    sys.stdout.flush()
    # uvicorn re-raises SIGTERM once it has shut down; with the default handler that would end
    # the process before the worker, the pools and the embedded PostgreSQL are stopped.
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        server.run()
    finally:
        stopping.set()
        if worker is not None:
            worker.stop()
        runtime.close()


@app.command()
def worker() -> None:
    """Run Dramatiq workers for billing runs and the emergency-credit expiry sweep
    (LEDGER_BROKER_URL; without it the jobs run inside `ledger serve`)."""
    runtime = _runtime()
    stopping = _stop_on_signals()
    running = start_worker(runtime, stopping)
    try:
        stopping.wait()
    finally:
        running.stop()
        runtime.close()


@app.command()
def notify() -> None:
    """Send queued notification e-mail and SMS (LEDGER_SMTP_*, LEDGER_SMS_*), with retries."""
    from infra.notifier import notifier_config, run_notifier

    runtime = _runtime()
    stopping = _stop_on_signals()
    try:
        run_notifier(runtime.connect, notifier_config(runtime.settings), stopping)
    finally:
        runtime.close()


@app.command()
def webhooks() -> None:
    """Deliver queued webhooks, signed, in order per subscription, with retries
    (LEDGER_WEBHOOKS_*)."""
    from infra.webhook_worker import run_from_runtime

    runtime = _runtime()
    stopping = _stop_on_signals()
    try:
        run_from_runtime(runtime, stopping)
    finally:
        runtime.close()


@app.command()
def relay() -> None:
    """Publish the event store's log to Kafka (one active relay; others wait)."""
    runtime = _runtime()
    stopping = _stop_on_signals()
    try:
        relay_for(runtime).run(stopping)
    finally:
        runtime.close()


@app.command()
def project(
    feed: Annotated[str, typer.Option(help="'kafka' or 'store'")] = "kafka",
    projector: Annotated[
        list[str] | None, typer.Option(help="Projector name(s); all by default")
    ] = None,
    retry_parked: Annotated[
        bool,
        typer.Option(
            "--retry-parked",
            help="Apply parked tenants' events again (unparking those that now apply) and exit",
        ),
    ] = False,
) -> None:
    """Run projectors, fed from Kafka (one consumer group each) or straight from the store.
    Each start first retries the tenants a projector parked (see `ledger status`)."""
    runtime = _runtime()
    projectors = _projectors(projector)
    if retry_parked:
        _retry_parked(runtime, projectors)
    stopping = _stop_on_signals()
    try:
        if feed == "kafka":
            threads = start_kafka_feeds(runtime, projectors, stopping)
        elif feed == "store":
            threads = [start_store_feed(runtime, projectors, stopping)]
        else:
            raise typer.BadParameter("feed must be 'kafka' or 'store'")
        _watch(threads, stopping)
    finally:
        stopping.set()
        runtime.close()


def _retry_parked(runtime: Runtime, projectors: list[type[Projector]]) -> None:
    try:
        with runtime.connect() as conn:
            outcomes = [
                outcome
                for p in projectors
                for outcome in resume_parked_tenants(
                    runtime.store, conn, p, runtime.settings.projector_batch_size
                )
            ]
    finally:
        runtime.close()
    for outcome in outcomes:
        if outcome.still_parked is None:
            state = "resumed"
        else:
            state = f"still parked at {outcome.still_parked.position}: {outcome.still_parked.error}"
        typer.echo(
            f"{outcome.projector}: tenant {outcome.tenant} {state} ({outcome.applied} applied)"
        )
    if not outcomes:
        typer.echo("no parked tenants")
    raise typer.Exit(1 if any(o.still_parked is not None for o in outcomes) else 0)


@app.command()
def status() -> None:
    """Per projector: position, lag behind the store (events and seconds), parked tenants and
    the last error; exit 1 when any projector is parked or lags beyond LEDGER_READY_MAX_LAG_S."""
    runtime = _runtime()
    try:
        with runtime.connect() as conn:
            statuses = projector_statuses(runtime.store, conn, list(PROJECTORS.values()))
    finally:
        runtime.close()
    max_lag_s = runtime.settings.ready_max_lag_s
    degraded = False
    typer.echo(f"{'projector':<16} {'position':>10} {'lag':>8} {'lag s':>8}  parked")
    for s in statuses:
        parked = ", ".join(f"{p.tenant}@{p.position}" for p in s.parked) or "-"
        typer.echo(
            f"{s.projector:<16} {s.position:>10} {s.lag_events:>8} {s.lag_seconds:>8.1f}  {parked}"
        )
        if s.last_error is not None:
            typer.echo(f"  last error: {s.last_error}")
        degraded = degraded or bool(s.problems(max_lag_s))
    typer.echo("degraded" if degraded else "ok")
    raise typer.Exit(1 if degraded else 0)


def _instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 instant: {value!r}") from None
    if instant.tzinfo is None:
        raise typer.BadParameter("give the instant with its offset, e.g. 2026-12-31T23:59:59Z")
    return instant


@app.command()
def replay(
    name: Annotated[str, typer.Argument(help=PROJECTION_NAME_HELP)],
    schema: Annotated[
        str | None,
        typer.Option(help="Write to this schema (an auditor's copy) and leave live untouched"),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Only events recorded up to this instant (ISO 8601 with offset); "
            "writes to --schema or asof_<name>_<instant>",
        ),
    ] = None,
) -> None:
    """Rebuild a projection from the event store and swap it in atomically, or write it to a
    named schema (as of now, or --as-of an instant) without touching the live one."""
    runtime = _runtime()
    projector = _projectors([name])[0]
    instant = _instant(as_of) if as_of is not None else None
    batch_size = runtime.settings.projector_batch_size
    try:
        with runtime.connect() as conn:
            if instant is None and schema is None:
                head = runtime.store.recorder.max_notification_id() or 0
                progress = ReplayProgress(projector.name, 0, head)
                report = rebuild(runtime.store, conn, projector, batch_size, None, progress)
                progress.finish()
                target = report.schema
            else:
                if instant is None:
                    row = conn.execute("SELECT clock_timestamp()").fetchone()
                    instant = row[0] if row else datetime.now(UTC)
                target = schema or f"asof_{projector.name}_{instant.astimezone(UTC):%Y%m%dt%H%M%Sz}"
                check_auditor_schema(conn, target)
                position = position_at(runtime.store, conn, instant)
                progress = ReplayProgress(projector.name, 0, position)
                build = build_as_of(
                    runtime.store, conn, projector, instant, target, batch_size, progress
                )
                progress.finish()
                report = build.report
    except SchemaRefused as refused:
        typer.echo(f"refused: {refused}", err=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    where = (
        "swapped in"
        if report.swapped or instant is None
        else f"as of {instant.isoformat()}, events up to position {position}"
    )
    typer.echo(
        f"{report.projector}: {report.events:,} events in {report.seconds:.2f}s "
        f"({report.events_per_second:,.0f} events/s) -> schema {target} ({where})"
    )
    if report.parked:
        tenants = ", ".join(str(t) for t in report.parked)
        typer.echo(f"{report.projector}: parked tenant(s) {tenants} (see `ledger status`)")


@app.command()
def diff(name: Annotated[str, typer.Argument(help=PROJECTION_NAME_HELP)]) -> None:
    """Compare the live projection with a fresh rebuild, row by row by primary key, naming each
    differing key and column; exit 1 on differences."""
    runtime = _runtime()
    projector = _projectors([name])[0]
    shadow = f"{projector.live_schema()}__diff"
    try:
        with runtime.connect() as conn:
            head = runtime.store.recorder.max_notification_id() or 0
            progress = ReplayProgress(f"{projector.name} (rebuild)", 0, head)
            rebuild(
                runtime.store,
                conn,
                projector,
                runtime.settings.projector_batch_size,
                shadow,
                progress,
            )
            progress.finish()
            diffs = diff_by_key(conn, projector, projector.live_schema(), shadow)
            drop_schema(conn, shadow)
    finally:
        runtime.close()
    for table in diffs:
        typer.echo(
            f"{table.table}: live {table.left_rows} rows, rebuild {table.right_rows} rows; "
            f"{table.only_in_left_count} only live, {table.only_in_right_count} only rebuilt, "
            f"{table.changed_count} differ"
        )
        for key in table.only_in_left:
            typer.echo(f"  only live: {_key_text(key)}")
        for key in table.only_in_right:
            typer.echo(f"  only rebuilt: {_key_text(key)}")
        for change in table.changed:
            columns = ", ".join(
                f"{column}: live {live!r} != rebuilt {rebuilt!r}"
                for column, (live, rebuilt) in change.columns.items()
            )
            typer.echo(f"  differs: {_key_text(change.key)}: {columns}")
    raise typer.Exit(0 if all(t.equal for t in diffs) else 1)


def _key_text(key: dict[str, object]) -> str:
    return ", ".join(f"{column}={value}" for column, value in key.items())


@admin.command("create-reseller")
def admin_create_reseller(
    code: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    country: Annotated[str, typer.Option()],
    currency: Annotated[str, typer.Option()],
    credit_limit: Annotated[str, typer.Option()] = "0",
    parent_reseller_id: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Create a reseller as the master ISP."""
    runtime = _runtime()
    try:
        command = CreateReseller(
            reseller_code=code,
            name=name,
            country=country,
            currency=currency,
            credit_limit=Decimal(credit_limit),
            parent_reseller_id=parent_reseller_id,
        )
        result = create_reseller(runtime.store, cli_context(), command)
    except CommandError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    typer.echo(result.body)


@admin.command("issue-token")
def admin_issue_token(
    role: Annotated[Role, typer.Option()],
    label: Annotated[str, typer.Option()],
    reseller_id: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Issue an API token for a role (and reseller); prints it once."""
    runtime = _runtime()
    try:
        result = issue_token(
            runtime.store,
            cli_context(),
            IssueToken(label=label, role=role, reseller_id=reseller_id),
        )
    except CommandError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    typer.echo(json.loads(result.body)["token"])


@admin.command("erase-customer")
def admin_erase_customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (uuid)")],
    reason: Annotated[str | None, typer.Option(help="e.g. a request reference")] = None,
) -> None:
    """Erase a closed customer's personal data for good (deletes its key)."""
    runtime = _runtime()
    try:
        result = erase_customer(
            runtime.store,
            runtime.store.personal_data,
            cli_context(),
            UUID(customer_id),
            EraseCustomer(reason=reason),
        )
    except ValueError:
        typer.echo("refused: customer_id must be a uuid", err=True)
        raise typer.Exit(2) from None
    except CommandError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    typer.echo(result.body)


@app.command()
def migrate() -> None:
    """Create the event store, read-model and relay tables (idempotent)."""
    _runtime().close()
    typer.echo("ok")


@app.command()
def chain(
    checkpoint: Annotated[
        bool, typer.Option(help="Sign a checkpoint at the head even if none is due yet")
    ] = False,
) -> None:
    """Extend the tamper-evidence chain over every committed event once (the worker does this
    continuously) and sign a checkpoint when one is due."""
    from dataclasses import replace

    from infra.chainer import chain_until_caught_up, chainer_config

    runtime = _runtime()
    try:
        config = chainer_config(runtime.settings, runtime.store)
        if checkpoint:
            config = replace(config, checkpoint_every_events=1, checkpoint_every_s=0)
        with runtime.connect() as conn:
            chained = chain_until_caught_up(conn, config)
    finally:
        runtime.close()
    typer.echo(f"chained {chained} event(s)")


@app.command("checkpoint-key")
def checkpoint_key() -> None:
    """Print the checkpoint signing key's public half (PEM) for auditors."""
    from infra.chainer import load_or_create_signing_key, signing_key_path_of
    from replays.chain import key_id, public_key_pem

    settings = get_settings()
    public = load_or_create_signing_key(signing_key_path_of(settings)).public_key()
    typer.echo(f"# checkpoint key id {key_id(public)}")
    typer.echo(public_key_pem(public), nl=False)


@app.command()
def verify(
    public_key: Annotated[
        list[Path] | None,
        typer.Option(help="Trust only these public keys (PEM); default: the configured key's"),
    ] = None,
    checkpoint_dir: Annotated[
        Path | None, typer.Option(help="Overrides LEDGER_CHECKPOINT_DIR")
    ] = None,
) -> None:
    """Recompute the hash chain from the events table, check it against the chain table and
    every signed checkpoint; exit 1 naming the first bad position."""
    import psycopg

    from infra.chainer import (
        checkpoint_dir_of,
        events_table,
        load_or_create_signing_key,
        signing_key_path_of,
    )
    from replays.chain import key_id, load_public_key
    from replays.verify import verify_store

    runtime = _runtime()
    settings = runtime.settings
    if public_key:
        keys = [load_public_key(path.read_bytes()) for path in public_key]
    elif signing_key_path_of(settings).exists():
        keys = [load_or_create_signing_key(signing_key_path_of(settings)).public_key()]
    else:
        runtime.close()
        typer.echo("no checkpoint key here: pass the signer's --public-key", err=True)
        raise typer.Exit(2)
    try:
        with psycopg.connect(runtime.database_url) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            report = verify_store(
                conn,
                events_table(runtime.store),
                checkpoint_dir or checkpoint_dir_of(settings),
                {key_id(key): key for key in keys},
            )
            conn.rollback()
    finally:
        runtime.close()
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(0 if report.ok else 1)


if __name__ == "__main__":
    app()


statement = typer.Typer(help="Tax statements (1099-NEC, VAT) written to a directory.")
app.add_typer(statement, name="statement")


def _statement_inputs(
    as_of: str | None, effective_at: str | None
) -> tuple[Runtime, Knowledge, PartyDetails]:
    try:
        knowledge = knowledge_from(
            None if as_of is None else datetime.fromisoformat(as_of),
            None if effective_at is None else date.fromisoformat(effective_at),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    runtime = _runtime()
    s = runtime.settings
    return (
        runtime,
        knowledge,
        PartyDetails(s.payer_name, s.payer_address, s.payer_tin, s.isp_country),
    )


@statement.command("1099")
def statement_1099(
    tax_year: Annotated[int, typer.Option(min=2000, max=2100)],
    out: Annotated[Path, typer.Option(help="Directory to write into")],
    as_of: Annotated[str | None, typer.Option(help="As known at this instant (ISO 8601)")] = None,
    effective_at: Annotated[str | None, typer.Option(help="Effective at this date")] = None,
) -> None:
    """1099-NEC forms: JSON, CSV (masked TINs), the filing export and a PDF per recipient."""
    runtime, knowledge, payer = _statement_inputs(as_of, effective_at)
    with runtime.connect() as conn:
        written = write_nec_files(conn, payer, tax_year, knowledge, out, datetime.now(UTC))
    runtime.close()
    for path in written:
        typer.echo(str(path))


@statement.command("vat")
def statement_vat(
    year: Annotated[int, typer.Option(min=2000, max=2100)],
    out: Annotated[Path, typer.Option(help="Directory to write into")],
    quarter: Annotated[int | None, typer.Option(min=1, max=4)] = None,
    month: Annotated[int | None, typer.Option(min=1, max=12)] = None,
    as_of: Annotated[str | None, typer.Option(help="As known at this instant (ISO 8601)")] = None,
    effective_at: Annotated[str | None, typer.Option(help="Effective at this date")] = None,
) -> None:
    """A VAT statement for a quarter or a month: JSON, CSV, XLSX and PDF."""
    if (quarter is None) == (month is None):
        raise typer.BadParameter("give either --quarter or --month")
    runtime, knowledge, payer = _statement_inputs(as_of, effective_at)
    with runtime.connect() as conn:
        written = write_vat_files(
            conn, payer, year, quarter, month, knowledge, out, datetime.now(UTC)
        )
    runtime.close()
    for path in written:
        typer.echo(str(path))
