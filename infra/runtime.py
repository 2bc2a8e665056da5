"""Wiring: from settings to a running store, read pool, projector feeds and relay."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from dramatiq import Worker
from kafka import KafkaConsumer
from kafka.errors import KafkaError
from psycopg_pool import ConnectionPool

from api.client_address import parse_trusted_proxies
from api.deps import ApiConfig, ApiServices
from api.waiting import WaitLimits
from commands.access.auth import AuthConfig, AuthServices
from commands.access.tokens import IssueToken, issue_token
from commands.commissions.disputes import DisputeConfig
from commands.commissions.payouts import PayoutPolicy
from commands.principal import Principal, RequestContext
from domain.access.auth_policy import PasswordPolicy, SessionPolicy, ThrottlePolicy
from domain.access.roles import Role
from domain.commissions.payment_commissions import CommissionSettings
from domain.commissions.statements import PartyDetails
from infra.auth_store import (
    FernetBox,
    PostgresSessionStore,
    PostgresThrottle,
    embedded_secret_key,
    ensure_auth_tables,
)
from infra.chainer import ensure_chain_tables, start_chainer
from infra.database import create_read_models, ensure_database, ensure_role, start_embedded
from infra.event_store import LedgerStore, open_store
from infra.jobs import (
    DramatiqJobs,
    clear_commissions_job,
    expire_emergency_credit_job,
    make_broker,
    payout_cycle_job,
    scheduled_reports_job,
    start_heartbeat,
    start_jobs,
    support_sweep_job,
)
from infra.privacy import derived_master_key, embedded_master_key, parse_master_key
from infra.relay import Relay, ensure_relay_tables, published_positions
from infra.settings import Settings
from projections.base import Projector
from projections.feeds import FeedOutages, run_kafka_feed, run_store_feed

# kafka-python waits up to 500 ms for a fetch to fill by default: most of the Kafka path's lag.
KAFKA_FETCH_MAX_WAIT_MS = 50
# A feed waiting longer than this for a pooled connection backs off and retries.
PROJECTOR_POOL_WAIT_S = 30.0
CLI_PRINCIPAL = Principal(subject="cli", role=Role.ISP_ADMIN, reseller_number=None)


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    store: LedgerStore

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.database_url, autocommit=True)

    def read_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        return ConnectionPool(
            self.database_url,
            min_size=1,
            max_size=self.settings.db_pool_size,
            kwargs={"autocommit": True},
            timeout=10,
            open=True,
        )

    def api_services(self) -> ApiServices:
        s = self.settings
        config = ApiConfig(
            page_size_max=s.page_size_max,
            read_wait_max_ms=s.read_wait_max_ms,
            max_body_bytes=s.max_body_bytes,
            audit_export_max_rows=s.audit_export_max_rows,
            trusted_proxies=parse_trusted_proxies(s.trusted_proxies),
            wait_limits=WaitLimits(
                per_principal=s.read_waiters_per_principal,
                per_tenant=s.read_waiters_per_tenant,
                total=s.read_waiters_max,
            ),
            ready_max_lag_s=s.ready_max_lag_s,
            disputes=DisputeConfig(
                interest_rate_percent=s.dispute_interest_rate_percent,
                max_document_bytes=s.dispute_document_max_bytes,
                holiday_calendars=s.business_day_holidays,
            ),
        )
        pool = self.read_pool()
        return ApiServices(
            store=self.store,
            read_pool=pool,
            auth=auth_services(s, pool),
            config=config,
            jobs=DramatiqJobs(),
            payer=PartyDetails(s.payer_name, s.payer_address, s.payer_tin, s.isp_country),
        )

    def close(self) -> None:
        self.store.close()


def auth_config(s: Settings) -> AuthConfig:
    return AuthConfig(
        password_policy=PasswordPolicy(
            min_length=s.password_min_length, min_character_classes=s.password_min_classes
        ),
        session_policy=SessionPolicy(
            idle_timeout=timedelta(seconds=s.session_idle_timeout_s),
            absolute_lifetime=timedelta(seconds=s.session_absolute_lifetime_s),
            max_concurrent=s.session_max_concurrent,
            on_limit=s.session_on_limit,
        ),
        account_throttle=ThrottlePolicy(
            max_failures=s.login_account_max_failures,
            window=timedelta(seconds=s.login_window_s),
            base_lockout=timedelta(seconds=s.login_account_lockout_s),
            max_lockout=timedelta(seconds=s.login_max_lockout_s),
        ),
        ip_throttle=ThrottlePolicy(
            max_failures=s.login_ip_max_failures,
            window=timedelta(seconds=s.login_window_s),
            base_lockout=timedelta(seconds=s.login_ip_lockout_s),
            max_lockout=timedelta(seconds=s.login_max_lockout_s),
        ),
    )


def secret_box(s: Settings) -> FernetBox:
    """What encrypts TOTP seeds and webhook secrets (the API and the webhook worker)."""
    if s.secret_key is None and s.database_url is not None:
        raise ValueError("LEDGER_SECRET_KEY is required when LEDGER_DATABASE_URL is set")
    return FernetBox(s.secret_key or embedded_secret_key(s.data_dir))


def auth_services(s: Settings, pool: ConnectionPool[psycopg.Connection[Any]]) -> AuthServices:
    return AuthServices(
        config=auth_config(s),
        sessions=PostgresSessionStore(pool),
        throttle=PostgresThrottle(pool),
        box=secret_box(s),
    )


def personal_data_master_key(s: Settings) -> bytes | None:
    """None only when distributed with neither key set: personal data is then refused."""
    if s.personal_data_key is not None:
        return parse_master_key(s.personal_data_key)
    if s.secret_key is not None:
        return derived_master_key(s.secret_key)
    if s.database_url is None:
        return parse_master_key(embedded_master_key(s.data_dir))
    return None


def open_runtime(settings: Settings) -> Runtime:
    url = settings.database_url or start_embedded(settings.data_dir)
    ensure_database(url)
    store = open_store(
        url,
        personal_data_key=personal_data_master_key(settings),
        commission_settings=CommissionSettings(settings.commission_holding_days),
        keyring_pool_size=settings.keyring_pool_size,
        pool_size=settings.store_pool_size,
        max_overflow=settings.store_pool_max_overflow,
        lock_timeout_s=settings.db_lock_timeout_s,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        create_read_models(conn, settings.bi_role)
        if settings.bi_login is not None:
            ensure_role(conn, settings.bi_login, True, settings.bi_role, settings.bi_password)
        ensure_relay_tables(conn)
        ensure_auth_tables(conn)
        ensure_chain_tables(conn)
    return Runtime(settings, url, store)


def cli_context(now: datetime | None = None) -> RequestContext:
    return RequestContext(
        principal=CLI_PRINCIPAL, request_id="cli", received_at=now or datetime.now(UTC)
    )


def bootstrap_token(runtime: Runtime) -> str | None:
    """On a store with no events at all, issue the first ISP admin token and return it."""
    if runtime.store.recorder.max_notification_id() is not None:
        return None
    result = issue_token(
        runtime.store, cli_context(), IssueToken(label="bootstrap", role=Role.ISP_ADMIN)
    )
    import json

    token: str = json.loads(result.body)["token"]
    return token


def start_store_feed(
    runtime: Runtime, projectors: Sequence[type[Projector]], stopping: threading.Event
) -> threading.Thread:
    s = runtime.settings
    thread = threading.Thread(
        target=run_store_feed,
        name="store-feed",
        args=(
            runtime.store,
            runtime.connect,
            projectors,
            s.projector_batch_size,
            s.projector_poll_ms / 1000,
            stopping,
        ),
        daemon=True,
    )
    thread.start()
    return thread


def kafka_consumer(settings: Settings, projector: type[Projector]) -> KafkaConsumer:
    if settings.kafka_bootstrap is None:
        raise ValueError("LEDGER_KAFKA_BOOTSTRAP is not set")
    return KafkaConsumer(
        settings.kafka_topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"ledger.projector.{projector.name}",
        client_id=f"ledger-projector-{projector.name}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.projector_batch_size,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_interval_ms=settings.kafka_max_poll_interval_ms,
        fetch_max_wait_ms=KAFKA_FETCH_MAX_WAIT_MS,
    )


def start_kafka_feeds(
    runtime: Runtime, projectors: Sequence[type[Projector]], stopping: threading.Event
) -> list[threading.Thread]:
    """One thread per projector; they share one small pool (LEDGER_PROJECTOR_POOL_SIZE) for
    their batches, repairs and the relay positions, and one record of each peer's outage."""
    s = runtime.settings
    threads = []
    pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
        runtime.database_url,
        min_size=1,
        max_size=s.projector_pool_size,
        kwargs={"autocommit": True},
        timeout=PROJECTOR_POOL_WAIT_S,
        check=ConnectionPool.check_connection,  # a database restart breaks pooled ones
        name="projectors",
        open=False,
    )
    pool.open(wait=False)  # the database may be down: the feeds ride that out
    outages = FeedOutages.new()

    def published() -> dict[int, int]:
        with pool.connection() as conn:
            return published_positions(conn)

    for projector in projectors:

        def run(projector: type[Projector] = projector) -> None:
            consumer = None
            while consumer is None:  # the broker may be down when the process starts
                try:
                    consumer = kafka_consumer(s, projector)
                except KafkaError as error:
                    if stopping.wait(outages.kafka.failed(error)):
                        return
            try:
                run_kafka_feed(
                    runtime.store,
                    pool.connection,
                    projector,
                    consumer,
                    published,
                    s.projector_batch_size,
                    s.projector_poll_ms,
                    stopping,
                    outages=outages,
                )
            finally:
                consumer.close()

        thread = threading.Thread(target=run, name=f"kafka-feed-{projector.name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def relay_for(runtime: Runtime) -> Relay:
    s = runtime.settings
    if s.kafka_bootstrap is None:
        raise ValueError("LEDGER_KAFKA_BOOTSTRAP is not set")
    return Relay(
        runtime.store,
        runtime.database_url,
        s.kafka_bootstrap,
        s.kafka_topic,
        s.kafka_partitions,
        s.relay_batch_size,
        s.relay_poll_ms / 1000,
    )


def start_worker(runtime: Runtime, stopping: threading.Event) -> Worker:
    """Dramatiq workers for this process's jobs, plus the periodic expiry sweep."""
    s = runtime.settings
    broker = make_broker(s.broker_url, s.broker_namespace, s.worker_heartbeat_timeout_s)
    start_heartbeat(broker, stopping)
    policy = PayoutPolicy(
        isp_country=s.isp_country,
        fx_max_age=timedelta(hours=s.fx_max_age_hours),
        holiday_calendars=s.business_day_holidays,
    )
    start_jobs(runtime.store, runtime.database_url, broker, policy)
    worker = Worker(broker, worker_threads=s.worker_threads)
    worker.start()

    def sweep() -> None:
        while not stopping.wait(s.expiry_sweep_s):
            expire_emergency_credit_job.send()
            clear_commissions_job.send()
            payout_cycle_job.send()
            scheduled_reports_job.send()
            support_sweep_job.send()

    threading.Thread(target=sweep, name="expiry-sweep", daemon=True).start()
    start_chainer(s, runtime.store, runtime.database_url, stopping)  # one active: advisory lock
    # Catch up on anything that fell due while no worker ran.
    expire_emergency_credit_job.send()
    clear_commissions_job.send()
    payout_cycle_job.send()
    scheduled_reports_job.send()
    support_sweep_job.send()
    return worker
