"""Background jobs on Dramatiq: billing runs and the emergency-credit expiry sweep.

The broker is Redis (`LEDGER_BROKER_URL=redis://...`) in the distributed mode and an
in-process Dramatiq stub broker with its worker threads in the embedded default. Jobs call the
same command handlers as the API, as the master ISP's system principal, so they are idempotent
the same way: billing a customer for a period twice bills once, expiring what already expired
changes nothing. The sweep finds every account whose emergency credit is due from the store's
log, so an expiry missed while no worker ran is caught by the next sweep.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import dramatiq
import psycopg
import redis
import structlog
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from commands.billing.invoicing import BillingPeriod, bill_customer
from commands.commissions.accrual import clear_commission
from commands.commissions.payouts import PayoutPolicy, advance_cycle
from commands.commissions.periods import calculate_period
from commands.credit.credit_account import expire_emergency_credit
from commands.customers.directory import registered_customers
from commands.errors import CommandError
from commands.principal import Principal, RequestContext
from domain.access.roles import Role
from domain.commissions.payouts import MAX_RECORDS_PER_PAYOUT
from domain.credit.credit_account import CreditAccount
from domain.customers.customer import Customer, cycle_period
from domain.ledger.topics import topics_of
from domain.reporting.schedule import previous_period
from infra.event_store import LedgerStore
from projections.commissions.payouts import approved_commission_ids, resellers_with_payout_work
from projections.reporting.report_files import generate_for_period
from projections.reporting.schedules import active_schedules, schedule_by_id

log = structlog.get_logger(__name__)

JOBS_PRINCIPAL = Principal(subject="system:jobs", role=Role.ISP_ADMIN, reseller_number=None)
QUEUE = "ledger"
MAX_CUSTOMERS_PER_RUN = 100_000
MAX_RETRIES = 5


class JobRuntime:
    """What the actors need; set once per process by `start_jobs`."""

    store: LedgerStore | None = None
    database_url: str | None = None
    payout_policy: PayoutPolicy = PayoutPolicy()
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))
    """The jobs' one clock: every "now" and "today" of a job reads it."""


def _context(request_id: str) -> RequestContext:
    return RequestContext(
        principal=JOBS_PRINCIPAL, request_id=request_id, received_at=JobRuntime.clock()
    )


# Dramatiq's Redis broker gives a killed worker's unacknowledged jobs back to the queue once
# the worker has sent no heartbeat for `heartbeat_timeout` (default 60 s), and only when some
# command triggers "maintenance" (default: 1 in 1,000 commands): a job waited 157 s. With a
# 10 s timeout, maintenance on 1 command in 5 and a heartbeat every second (see
# `start_heartbeat`: a worker whose threads are all busy fetches nothing, so it would send
# none), a killed worker's job runs again within about 15 s.
DEFAULT_HEARTBEAT_TIMEOUT_S = 10
MAINTENANCE_CHANCE_PER_MILLION = 200_000
HEARTBEAT_EVERY_S = 1.0


def make_broker(
    url: str | None,
    namespace: str = "ledger",
    heartbeat_timeout_s: int = DEFAULT_HEARTBEAT_TIMEOUT_S,
) -> dramatiq.Broker:
    if url is None:
        return StubBroker()
    if url.startswith(("redis://", "rediss://")):
        return RedisBroker(  # type: ignore[no-untyped-call]
            url=url,
            namespace=namespace,
            heartbeat_timeout=heartbeat_timeout_s * 1000,
            maintenance_chance=MAINTENANCE_CHANCE_PER_MILLION,
        )
    raise ValueError("LEDGER_BROKER_URL must be a redis:// URL")


def start_heartbeat(broker: dramatiq.Broker, stopping: threading.Event) -> threading.Thread | None:
    """Keep this worker process marked alive in Redis while its threads are busy (every
    broker command records a heartbeat and may run the requeue maintenance)."""
    if not isinstance(broker, RedisBroker):
        return None

    def beat() -> None:
        while not stopping.wait(HEARTBEAT_EVERY_S):
            try:
                broker.do_qsize(QUEUE)
            except redis.RedisError as error:  # Redis down: the consumers log and retry too
                log.warning("jobs.heartbeat_failed", error=repr(error))

    thread = threading.Thread(target=beat, name="jobs-heartbeat", daemon=True)
    thread.start()
    return thread


def _store() -> LedgerStore:
    if JobRuntime.store is None:
        raise RuntimeError("jobs are not wired to a store (call start_jobs)")
    return JobRuntime.store


def customers_of(reseller_number: int) -> list[str]:
    """The customers to bill: read from the event store, so nothing depends on a projection."""
    found = registered_customers(_store(), reseller_number, MAX_CUSTOMERS_PER_RUN)
    if len(found) > MAX_CUSTOMERS_PER_RUN:
        raise RuntimeError("too many customers for one billing run")
    return [str(customer_id) for customer_id in found]


def bill_one(customer_id: str, period_start: str, period_end: str) -> dict[str, Any]:
    period = BillingPeriod(
        period_start=date.fromisoformat(period_start), period_end=date.fromisoformat(period_end)
    )
    request_id = f"job:bill:{customer_id}:{period_start}:{period_end}"
    result = bill_customer(_store(), _context(request_id), uuid.UUID(customer_id), period)
    log.info("job.billed", customer=customer_id, status=result.status_code)
    return {"status": result.status_code}


def run_billing(reseller_number: int, period_start: str, period_end: str) -> int:
    customers = customers_of(reseller_number)
    for customer_id in customers:
        bill_customer_job.send(customer_id, period_start, period_end)
    log.info("job.billing_run", reseller=reseller_number, customers=len(customers))
    return len(customers)


def run_billing_cycles(reseller_number: int, on: str) -> int:
    """Bill each customer for its own cycle period that contains `on`."""
    day = date.fromisoformat(on)
    customers = customers_of(reseller_number)
    for customer_id in customers:
        customer: Customer = _store().repository.get(uuid.UUID(customer_id))
        start, end = cycle_period(customer.billing_day, day)
        bill_customer_job.send(customer_id, start.isoformat(), end.isoformat())
    log.info("job.billing_cycle_run", reseller=reseller_number, customers=len(customers))
    return len(customers)


def accounts_with_emergency_credit() -> set[int]:
    store = _store()
    numbers: set[int] = set()
    position = 0
    while notifications := store.recorder.select_notifications(
        start=position,
        limit=1000,
        topics=topics_of(CreditAccount.EmergencyCreditGranted),
        inclusive_of_start=False,
    ):
        for notification in notifications:
            account: CreditAccount = store.repository.get(
                uuid.UUID(str(notification.originator_id))
            )
            if account.emergency is not None:
                numbers.add(account.reseller_number)
        position = notifications[-1].id
    return numbers


def sweep_emergency_credit() -> int:
    """Record every due expiry; returns how many accounts were looked at."""
    now = JobRuntime.clock()
    numbers = accounts_with_emergency_credit()
    for number in sorted(numbers):
        try:
            expire_emergency_credit(
                _store(), _context(f"job:expire:{number}:{now.isoformat()}"), number
            )
        except CommandError as error:
            log.warning("job.expire_refused", reseller=number, error=str(error))
    return len(numbers)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def bill_customer_job(customer_id: str, period_start: str, period_end: str) -> None:
    bill_one(customer_id, period_start, period_end)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def billing_run_job(reseller_number: int, period_start: str, period_end: str) -> None:
    run_billing(reseller_number, period_start, period_end)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def billing_cycle_run_job(reseller_number: int, on: str) -> None:
    run_billing_cycles(reseller_number, on)


def sweep_commissions() -> int:
    """Clear every pending commission whose holding period is over. Candidates come from the
    commissions read model; each record's own state decides."""
    if JobRuntime.database_url is None:
        raise RuntimeError("jobs are not wired to a database (call start_jobs)")
    today = JobRuntime.clock().date()
    with psycopg.connect(JobRuntime.database_url) as conn:
        due = [
            row[0]
            for row in conn.execute(
                "SELECT commission_id FROM proj_commissions.commissions"
                " WHERE status = 'pending' AND hold_until <= %s ORDER BY hold_until LIMIT %s",
                (today, MAX_CUSTOMERS_PER_RUN),
            )
        ]
    for commission_id in due:
        clear_commission(_store(), _context(f"job:clear:{commission_id}"), commission_id)
    log.info("job.commissions_cleared", count=len(due))
    return len(due)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def clear_commissions_job() -> None:
    sweep_commissions()


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def expire_emergency_credit_job() -> None:
    sweep_emergency_credit()


def calculate_commissions(reseller_number: int, period: str) -> dict[str, Any]:
    """A reseller's period commissions (setup, usage, retention, performance); record ids are
    derived from what they are for, so a redelivered job creates nothing new."""
    result = calculate_period(
        _store(), _context(f"job:commissions:{reseller_number}:{period}"), reseller_number, period
    )
    log.info("job.commissions_calculated", reseller=reseller_number, period=period)
    return {"status": result.status_code, "body": result.body}


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def calculate_commissions_job(reseller_number: int, period: str) -> None:
    calculate_commissions(reseller_number, period)


def run_payout_cycle(now: str | None = None) -> dict[int, list[str]]:
    """Take every reseller with payout work as far through its cycle as `now` (the jobs' clock
    when absent) allows. Each step is an idempotent command, so running this twice, or again
    after a crash between resellers, pays each reseller exactly once."""
    if JobRuntime.database_url is None:
        raise RuntimeError("jobs are not wired to a database (call start_jobs)")
    instant = JobRuntime.clock() if now is None else datetime.fromisoformat(now)
    with psycopg.connect(JobRuntime.database_url, autocommit=True) as conn:
        resellers = resellers_with_payout_work(conn, MAX_CUSTOMERS_PER_RUN)
    done: dict[int, list[str]] = {}
    for number in resellers:

        def candidates(number: int = number) -> list[uuid.UUID]:
            with psycopg.connect(str(JobRuntime.database_url), autocommit=True) as conn:
                return approved_commission_ids(conn, number, MAX_RECORDS_PER_PAYOUT)

        context = RequestContext(
            principal=JOBS_PRINCIPAL,
            request_id=f"job:payouts:{number}:{instant.isoformat()}",
            received_at=instant,
        )
        try:
            done[number] = advance_cycle(
                _store(), context, number, candidates, JobRuntime.payout_policy
            )
        except CommandError as error:
            # e.g. no fresh FX rate yet: the statement waits for the next run.
            log.warning("job.payout_refused", reseller=number, error=str(error))
            done[number] = [f"refused: {error}"]
    log.info("job.payout_cycle", resellers=len(resellers), at=instant.isoformat())
    return done


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def payout_cycle_job(now: str | None = None) -> None:
    run_payout_cycle(now)


MAX_SCHEDULES_PER_SWEEP = 10_000


def generate_report(schedule_id: str, period_start: str, period_end: str) -> bool:
    """Generate one scheduled report for one period; True when this call stored the file."""
    if JobRuntime.database_url is None:
        raise RuntimeError("jobs are not wired to a database (call start_jobs)")
    with psycopg.connect(JobRuntime.database_url, autocommit=True) as conn:
        schedule = schedule_by_id(conn, schedule_id)
        if schedule is None or not schedule["active"]:
            log.info("job.report_skipped", schedule=schedule_id)
            return False
        stored = generate_for_period(
            conn,
            schedule,
            date.fromisoformat(period_start),
            date.fromisoformat(period_end),
            JobRuntime.clock(),
        )
    log.info("job.report_generated", schedule=schedule_id, period=period_start, stored=stored)
    return stored


def sweep_scheduled_reports(today: date | None = None) -> int:
    """Send one generation job per active schedule for its last completed period; a period
    that already has its file is skipped by the job, so sweeping often is harmless."""
    if JobRuntime.database_url is None:
        raise RuntimeError("jobs are not wired to a database (call start_jobs)")
    day = today or JobRuntime.clock().date()
    with psycopg.connect(JobRuntime.database_url, autocommit=True) as conn:
        schedules = active_schedules(conn, MAX_SCHEDULES_PER_SWEEP)
    for schedule in schedules:
        start, end = previous_period(schedule["frequency"], day)
        generate_report_job.send(schedule["schedule_id"], start.isoformat(), end.isoformat())
    log.info("job.reports_swept", schedules=len(schedules))
    return len(schedules)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def generate_report_job(schedule_id: str, period_start: str, period_end: str) -> None:
    generate_report(schedule_id, period_start, period_end)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def scheduled_reports_job() -> None:
    sweep_scheduled_reports()


def sweep_support(now: str | None = None, reseller_number: int | None = None) -> dict[str, int]:
    """SLA breaches and auto-closures due at `now` (default: the jobs' clock)."""
    from infra.support_jobs import sweep_tickets

    if JobRuntime.database_url is None:
        raise RuntimeError("jobs are not wired to a database (call start_jobs)")
    at = datetime.fromisoformat(now) if now else JobRuntime.clock()
    return sweep_tickets(_store(), JobRuntime.database_url, JOBS_PRINCIPAL, at, reseller_number)


@dramatiq.actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=200, max_backoff=10_000)
def support_sweep_job(now: str | None = None, reseller_number: int | None = None) -> None:
    sweep_support(now, reseller_number)


ACTORS = (
    bill_customer_job,
    billing_run_job,
    billing_cycle_run_job,
    expire_emergency_credit_job,
    clear_commissions_job,
    calculate_commissions_job,
    payout_cycle_job,
    generate_report_job,
    scheduled_reports_job,
    support_sweep_job,
)


class DramatiqJobs:
    """The API's handle on background work."""

    def billing_run(self, reseller_number: int, period_start: date, period_end: date) -> str:
        message = billing_run_job.send(
            reseller_number, period_start.isoformat(), period_end.isoformat()
        )
        return str(message.message_id)

    def billing_cycle_run(self, reseller_number: int, on: date) -> str:
        message = billing_cycle_run_job.send(reseller_number, on.isoformat())
        return str(message.message_id)


def start_jobs(
    store: LedgerStore,
    database_url: str,
    broker: dramatiq.Broker,
    payout_policy: PayoutPolicy | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Bind the actors to a broker and this process's store (and clock, if not the system's)."""
    JobRuntime.store = store
    if clock is not None:
        JobRuntime.clock = staticmethod(clock)
    JobRuntime.database_url = database_url
    if payout_policy is not None:
        JobRuntime.payout_policy = payout_policy
    dramatiq.set_broker(broker)
    for actor in ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
