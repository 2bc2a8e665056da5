"""A job whose worker is killed runs again within 30 s, without being sent again.

A billing run fans out one job per customer; the worker killed midway holds some of them
(the one running and those prefetched), unacknowledged.

Dramatiq's Redis broker hands a dead worker's unacknowledged messages back to the queue only
after the worker's heartbeat times out (60 s by default) and a broker command happens to run
maintenance (1 in 1,000 by default): a job once waited 157 s. With LEDGER_WORKER_HEARTBEAT_
TIMEOUT_S (10 s), frequent maintenance and a heartbeat thread in every worker, a second worker
picks up the killed worker's billing run on its own, and each customer is billed once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from infra.jobs import QUEUE, billing_run_job, make_broker
from tests.conftest import REDIS_URL
from tests.integration.test_billing_jobs import (
    PERIOD,
    assert_billed_once,
    issued,
    reseller_with_customers,
    wait_for,
)
from tests.support.privacy import PRIVACY_ENV

REPO = Path(__file__).resolve().parents[2]
RECOVERY_BOUND_S = 30.0


def test_a_killed_workers_job_runs_again_on_another_worker_within_30_s(
    store, database_url, tmp_path
):
    tenant, customers = reseller_with_customers(store, 20)
    namespace = f"ledger-recovery-{uuid.uuid4().hex[:8]}"
    broker = make_broker(REDIS_URL, namespace=namespace)
    broker.declare_queue(QUEUE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {
        "LEDGER_DATABASE_URL": database_url,
        **PRIVACY_ENV,
        "LEDGER_BROKER_URL": REDIS_URL,
        "LEDGER_BROKER_NAMESPACE": namespace,
        "LEDGER_WORKER_THREADS": "1",
        "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_EXPIRY_SWEEP_S": "3600",
    }
    heartbeats = f"{namespace}:__heartbeats__"

    def start_worker(n: int) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "worker"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    start, end = (d.isoformat() for d in PERIOD)
    # The replacement is started (and heartbeats) first, then paused, so that the job can
    # only go to the first worker and what is timed is the broker's recovery, not a process
    # start on a busy machine.
    second = start_worker(2)
    first = None
    try:

        def beating() -> set[bytes]:
            return set(broker.client.zrange(heartbeats, 0, -1))

        wait_for(lambda: bool(beating()), timeout_s=90)
        paused = beating()
        second.send_signal(signal.SIGSTOP)
        first = start_worker(1)
        wait_for(lambda: bool(beating() - paused), timeout_s=90)
        # Sent once, never again: only the broker's recovery can finish it.
        broker.enqueue(billing_run_job.message(tenant.number, start, end))
        wait_for(lambda: issued(store, tenant) >= 3, timeout_s=90)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        second.send_signal(signal.SIGCONT)
        killed_at = time.monotonic()
        midway = issued(store, tenant)
        assert midway < len(customers), "the worker finished before it could be killed"
        # The killed worker's billing job (and those it had prefetched, unacknowledged) must
        # run again: every customer billed, well before Dramatiq's default 60 s + maintenance.
        wait_for(lambda: issued(store, tenant) >= len(customers), timeout_s=RECOVERY_BOUND_S + 60)
        recovered_s = time.monotonic() - killed_at
        print(f"killed after {midway} of {len(customers)} invoices; all {recovered_s:.1f}s later")
        assert recovered_s < RECOVERY_BOUND_S
        time.sleep(0.5)  # anything still in flight would only find the customer billed
    finally:
        second.send_signal(signal.SIGCONT)
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        broker.flush_all()
        broker.close()
    assert_billed_once(store, tenant, customers)
