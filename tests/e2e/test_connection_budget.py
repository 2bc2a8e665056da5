"""The default distributed deployment fits in 50 PostgreSQL connections.

Two `ledger serve` replicas, `ledger relay`, `ledger project --feed kafka` (every projector)
and `ledger worker`, each a real process with default pool settings against a throwaway
database, the Tansu broker and Redis, are driven with concurrent writes and reads while
`pg_stat_activity` is sampled for their database: the peak must stay within the budget the
README states (50, half PostgreSQL's default `max_connections`).
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import REDIS_URL, TEST_SECRET_KEY
from tests.support.privacy import PRIVACY_ENV
from tests.support.processes import Process, wait_alive
from tests.support.services import ADMIN_URL, free_port, throwaway_database, wait_for_port

BUDGET = 50
TOKEN = re.compile(r"Bootstrap ISP admin token[^:]*: (\S+)")


def connections(dbname: str) -> int:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (dbname,)
        ).fetchone()
    return int(row[0]) if row else 0


def bootstrap_token(process: Process, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = TOKEN.search(process.log_path.read_text(errors="replace"))
        if found:
            return found.group(1)
        process.assert_alive()
        time.sleep(0.1)
    raise AssertionError(f"no bootstrap token in {process.log_path}")


def test_two_apis_relay_projector_and_worker_hold_at_most_50_connections(broker, tmp_path):
    with throwaway_database("ledger_budget") as url:
        dbname = str(conninfo_to_dict(url)["dbname"])
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
            "LEDGER_DATABASE_URL": url,
            **PRIVACY_ENV,
            "LEDGER_SECRET_KEY": TEST_SECRET_KEY,
            "LEDGER_KAFKA_BOOTSTRAP": broker.bootstrap,
            "LEDGER_KAFKA_TOPIC": f"ledger.budget.{uuid.uuid4().hex[:8]}",
            "LEDGER_BROKER_URL": REDIS_URL,
            "LEDGER_BROKER_NAMESPACE": f"ledger-budget-{uuid.uuid4().hex[:8]}",
            "LEDGER_LOG_LEVEL": "WARNING",
            "LEDGER_LOG_JSON": "false",
        }
        ports = [free_port(), free_port()]
        apis = [
            Process(["serve", "--port", str(port)], env, tmp_path / f"api{n}")
            for n, port in enumerate(ports)
        ]
        others = [
            Process(["relay"], env, tmp_path),
            Process(["project", "--feed", "kafka"], env, tmp_path),
            Process(["worker"], env, tmp_path),
        ]
        for api in apis:
            api.log_dir.mkdir()
        processes = [*apis, *others]
        peak = [0]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                peak[0] = max(peak[0], connections(dbname))
                sampling.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        try:
            t0 = time.monotonic()
            apis[0].start()  # first, alone: it creates the schema and the bootstrap token
            token = bootstrap_token(apis[0])
            wait_for_port(ports[0], timeout_s=60)
            for process in [apis[1], *others]:
                process.start()
            wait_for_port(ports[1], timeout_s=60)
            sampler.start()
            print(f"started: {time.monotonic() - t0:.1f}s")
            headers = {"Authorization": f"Bearer {token}"}

            def work(i: int) -> None:
                port = ports[i % 2]
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                    created = http.post(
                        "/reseller/api/resellers",
                        headers=headers,
                        json={
                            "reseller_code": f"B{i:04d}",
                            "name": f"Budget {i}",
                            "country": "NG",
                            "currency": "NGN",
                        },
                    )
                    # Every creation bumps the one reseller registry: some lose the race.
                    assert created.status_code in (201, 409), created.text
                    number = created.json()["reseller_id"] if created.status_code == 201 else 1
                    for _ in range(3):  # 404 until the Kafka-fed read side has it
                        read = http.get(f"/reseller/api/resellers/{number}", headers=headers)
                        assert read.status_code in (200, 404), read.text
                        assert http.get("/readyz").status_code == 200

            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=32) as pool:
                list(pool.map(work, range(64)))
            print(f"load: {time.monotonic() - started:.1f}s")
            wait_alive(processes, 3.0)  # the feeds, relay and worker settle at their peak
        finally:
            sampling.set()
            if sampler.is_alive():
                sampler.join(timeout=5)
            for process in processes:
                process.stop()
    print(f"peak connections: {peak[0]} (budget {BUDGET})")
    assert 0 < peak[0] <= BUDGET
