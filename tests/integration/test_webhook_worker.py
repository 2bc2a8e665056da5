"""Must-show (issue 16, webhooks): a real HTTP receiver on loopback (allowed for the test, as
LEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS would) verifies every signature; while it answers 503
the worker retries, and once it is back every event arrives in order, each webhook-id once;
a replay from a position re-delivers exactly the events after it, a redelivery one; nothing of
another reseller arrives; a target the SSRF rules refuse is never called, and sustained
failure disables the subscription (an event) and tells the owner's centre."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.deps import ApiServices
from commands.access.auth import AuthConfig, AuthServices
from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from commands.webhooks.subscriptions import DisableSubscription, disable_subscription
from domain.webhooks.signing import verify
from domain.webhooks.subscription import WebhookSubscription
from infra.auth_store import PostgresSessionStore, PostgresThrottle
from infra.webhook_worker import WebhookWorkerConfig, disabling, run_webhook_worker
from projections.webhooks.outbox import delivery_id
from tests.conftest import TEST_SECRET_KEY, prepared_store, running_store_feed
from tests.support.builders import context, new_reseller
from tests.support.privacy import PRIVACY_ENV
from tests.support.services import throwaway_database
from tests.support.webhooks import TEST_BOX, new_subscription

REPO = Path(__file__).resolve().parents[2]
FAST = WebhookWorkerConfig(
    allow_private=True, poll_s=0.02, max_attempts=100, base_backoff_s=0.05, max_backoff_s=0.2
)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of this module's own: the worker sends every subscription's deliveries, so
    other tests' subscriptions (unreachable hosts, retried) must not compete with these."""
    with throwaway_database("ledger_webhooks") as url:
        yield url


@pytest.fixture(scope="module")
def store(database_url: str) -> Iterator[Any]:
    store = prepared_store(database_url)
    yield store
    store.close()


@pytest.fixture(scope="module")
def store_feed(database_url: str, store: Any) -> Iterator[None]:
    with running_store_feed(database_url, store):
        yield


@pytest.fixture(scope="module")
def client(database_url: str, store: Any, store_feed: None) -> Iterator[TestClient]:
    pool: ConnectionPool[Any] = ConnectionPool(
        database_url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True
    )
    auth = AuthServices(
        config=AuthConfig(),
        sessions=PostgresSessionStore(pool),
        throttle=PostgresThrottle(pool),
        box=TEST_BOX,
    )
    with TestClient(create_app(ApiServices(store=store, read_pool=pool, auth=auth))) as client:
        yield client
    pool.close()


@dataclass
class Received:
    path: str
    webhook_id: str
    status: int
    verified: bool
    body: dict[str, Any]


@dataclass
class Receiver:
    secret: str = ""
    down: bool = False
    answer: int = 204
    log: list[Received] = field(default_factory=list)

    def mine(self) -> list[Received]:
        return [r for r in self.log if r.path == "/hooks"]

    def delivered(self) -> list[Received]:
        return [r for r in self.mine() if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {
                k: str(self.headers[k])
                for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
            }
            ok = verify(state.secret, headers, raw, int(time.time()))
            status = 503 if state.down else state.answer
            received = Received(self.path, headers["webhook-id"], status, ok, json.loads(raw))
            state.log.append(received)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_port}/hooks"
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(store: Any, database_url: str) -> Iterator[Callable[[WebhookWorkerConfig], None]]:
    stopping = threading.Event()
    threads: list[threading.Thread] = []

    def start(config: WebhookWorkerConfig) -> None:
        thread = threading.Thread(
            target=run_webhook_worker,
            args=(
                lambda: psycopg.connect(database_url, autocommit=True),
                TEST_BOX,
                config,
                disabling(store),
                stopping,
            ),
            daemon=True,
        )
        thread.start()
        threads.append(thread)

    yield start
    stopping.set()
    for thread in threads:
        thread.join(timeout=10)


def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def projected(database_url: str, subscription_id: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT 1 FROM proj_webhooks.subscriptions WHERE subscription_id = %s",
            (subscription_id,),
        ).fetchone()
    return row is not None


def status_changes(store: Any, number: int, count: int) -> list[int]:
    """`count` customer.status_changed events of reseller `number`; their positions."""
    created = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person", first_name="W", last_name="Hook", reseller_id=number
        ),
    )
    customer = uuid.UUID(json.loads(created.body)["customer_id"])
    positions = []
    for index in range(count):
        status = "active" if index % 2 == 0 else "suspended"
        result = change_customer_status(
            store, context(), customer, ChangeCustomerStatus(status=status)
        )
        assert result.position is not None
        positions.append(result.position)
    return positions


def test_retries_through_an_outage_in_order_then_replay_and_redelivery(
    store, database_url, store_feed, client, receiver, worker
):
    state, url = receiver
    tenant, other = new_reseller(store), new_reseller(store)
    mine = new_subscription(store, tenant.number, url, ["customer.status_changed"])
    theirs = new_subscription(store, other.number, url + "/other", ["customer.status_changed"])
    isp = new_subscription(store, None, url + "/isp", ["customer.status_changed"])
    state.secret = mine["secret"]
    wait_for(lambda: projected(database_url, mine["subscription_id"]))
    wait_for(lambda: projected(database_url, theirs["subscription_id"]))
    wait_for(lambda: projected(database_url, isp["subscription_id"]))
    state.down = True
    worker(FAST)
    worker(FAST)  # two workers: still one delivery in flight per subscription
    positions = status_changes(store, tenant.number, 6)
    theirs_positions = status_changes(store, other.number, 2)
    wait_for(lambda: sum(1 for r in state.log if r.status == 503) >= 4)
    state.down = False
    ids = [delivery_id(mine["subscription_id"], p) for p in positions]
    wait_for(lambda: len([r for r in state.delivered() if r.webhook_id in ids]) >= len(ids))

    assert all(r.verified for r in state.mine()), "every signature verifies"
    delivered = [r.webhook_id for r in state.delivered() if r.webhook_id in ids]
    assert delivered == ids, "in order, each webhook-id once"
    assert [r.body["position"] for r in state.delivered()][: len(ids)] == positions
    assert {r.body["reseller_id"] for r in state.mine()} == {tenant.number}, "nothing of another"

    def theirs_delivered() -> list[int]:
        return [
            r.body["position"] for r in state.log if r.path == "/hooks/other" and r.status == 204
        ]

    wait_for(lambda: len(theirs_delivered()) >= 2)
    assert theirs_delivered() == theirs_positions

    def isp_delivered() -> list[int]:
        return [r.body["position"] for r in state.log if r.path == "/hooks/isp" and r.status == 204]

    # The master ISP's own subscription receives every reseller's events, in order.
    wait_for(lambda: set(positions + theirs_positions) <= set(isp_delivered()))
    assert isp_delivered() == sorted(isp_delivered())
    disable_subscription(store, context(), uuid.UUID(isp["subscription_id"]), DisableSubscription())
    first = state.delivered()[0].body
    assert first["type"] == "customer.status_changed" and first["schema_version"]
    assert set(first["data"]) == {"customer_id", "from_status", "to_status"}

    base = f"/reseller/api/webhooks/subscriptions/{mine['subscription_id']}"
    log = client.get(f"{base}/deliveries", headers=tenant.headers()).json()
    assert [d["delivery_id"] for d in log] == ids
    assert all(d["status"] == "delivered" and d["last_status"] == 204 for d in log)
    codes = [a["status_code"] for d in log for a in d["attempt_log"]]
    assert 503 in codes and codes.count(204) == len(ids)

    before = len(state.mine())
    replay = client.post(
        f"{base}/replay", json={"after_position": positions[2]}, headers=tenant.headers()
    )
    assert replay.status_code == 202, replay.text
    wait_for(lambda: len(state.mine()) >= before + 3)
    time.sleep(0.3)  # nothing more than those three arrives
    assert [r.webhook_id for r in state.mine()[before:]] == ids[3:]

    before = len(state.mine())
    again = client.post(f"{base}/deliveries/{positions[0]}/redeliver", headers=tenant.headers())
    assert again.status_code == 202, again.text
    wait_for(lambda: len(state.mine()) >= before + 1)
    time.sleep(0.3)
    assert [r.webhook_id for r in state.mine()[before:]] == [ids[0]]
    assert all(r.verified for r in state.mine())


def test_a_refused_target_is_never_called_and_sustained_failure_disables(
    store, database_url, store_feed, receiver, worker
):
    state, url = receiver
    tenant = new_reseller(store)
    subscription = new_subscription(store, tenant.number, url, ["customer.status_changed"])
    state.secret = subscription["secret"]
    wait_for(lambda: projected(database_url, subscription["subscription_id"]))
    worker(replace(FAST, allow_private=False, max_attempts=3, base_backoff_s=0.02))
    (position,) = status_changes(store, tenant.number, 1)
    subscription_id = uuid.UUID(subscription["subscription_id"])

    def disabled() -> bool:
        found = store.repository.get(subscription_id)
        return isinstance(found, WebhookSubscription) and not found.active

    wait_for(disabled)
    assert state.log == [], "the loopback receiver was never called"
    found = store.repository.get(subscription_id)
    assert "target refused" in (found.disabled_reason or "")
    assert "loopback" in (found.disabled_reason or "")
    with psycopg.connect(database_url, autocommit=True) as conn:
        status, attempts = conn.execute(
            "SELECT status, attempts FROM ledger_webhook_state.deliveries WHERE delivery_id = %s",
            (delivery_id(subscription_id, position),),
        ).fetchone() or (None, None)
    assert (status, attempts) == ("failed", 3)
    with psycopg.connect(database_url, autocommit=True) as conn:
        wait_for(
            lambda: (
                conn.execute(
                    "SELECT 1 FROM proj_notifications.notifications WHERE reseller = %s"
                    " AND kind = 'webhook_disabled'",
                    (tenant.number,),
                ).fetchone()
                is not None
            )
        )


def test_after_sustained_failure_enabling_resumes_from_the_failed_delivery_in_order(
    store, database_url, store_feed, client, receiver, worker
):
    state, url = receiver
    tenant = new_reseller(store)
    subscription = new_subscription(store, tenant.number, url, ["customer.status_changed"])
    state.secret, state.down = subscription["secret"], True
    wait_for(lambda: projected(database_url, subscription["subscription_id"]))
    worker(
        WebhookWorkerConfig(allow_private=True, poll_s=0.02, max_attempts=2, base_backoff_s=0.02)
    )
    positions = status_changes(store, tenant.number, 3)
    ids = [delivery_id(subscription["subscription_id"], p) for p in positions]
    base = f"/reseller/api/webhooks/subscriptions/{subscription['subscription_id']}"
    wait_for(lambda: client.get(base, headers=tenant.headers()).json()["active"] is False)
    time.sleep(0.3)
    assert [r.webhook_id for r in state.log] == [ids[0], ids[0]], "nothing past the failed one"
    state.down = False
    assert client.post(f"{base}/enable", headers=tenant.headers()).status_code == 200
    wait_for(lambda: len(state.delivered()) >= 3)
    time.sleep(0.3)
    assert [r.webhook_id for r in state.delivered()] == ids
    assert all(r.verified for r in state.log)


@pytest.fixture
def garbage_server() -> Iterator[str]:
    """Answers every connection with bytes that are no HTTP response."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65_536)
                connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stopping.set()
    thread.join(timeout=5)
    listener.close()


def test_a_malformed_answer_is_a_failed_attempt_and_a_new_url_gets_the_pending_delivery(
    store, database_url, store_feed, client, receiver, worker, garbage_server
):
    state, url = receiver
    tenant = new_reseller(store)
    subscription = new_subscription(
        store, tenant.number, garbage_server, ["customer.status_changed"]
    )
    state.secret = subscription["secret"]
    wait_for(lambda: projected(database_url, subscription["subscription_id"]))
    worker(FAST)
    (position,) = status_changes(store, tenant.number, 1)
    base = f"/reseller/api/webhooks/subscriptions/{subscription['subscription_id']}"

    def attempts() -> list[dict[str, Any]]:
        log = client.get(f"{base}/deliveries", headers=tenant.headers()).json()
        return [a for d in log for a in d["attempt_log"]]

    wait_for(lambda: len(attempts()) >= 2)
    assert all(a["status_code"] is None and a["error"] for a in attempts())
    moved = client.patch(base, json={"url": url}, headers=tenant.headers())
    assert moved.status_code == 200, moved.text
    wait_for(lambda: len(state.delivered()) == 1)
    (arrived,) = state.delivered()
    assert arrived.webhook_id == delivery_id(subscription["subscription_id"], position)
    assert arrived.verified


def test_ledger_webhooks_killed_midway_resumes_without_duplicates(
    store, database_url, store_feed, receiver, tmp_path
):
    state, url = receiver
    tenant = new_reseller(store)
    subscription = new_subscription(store, tenant.number, url, ["customer.status_changed"])
    state.secret, state.down = subscription["secret"], True
    wait_for(lambda: projected(database_url, subscription["subscription_id"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {
        "LEDGER_DATABASE_URL": database_url,
        **PRIVACY_ENV,
        "LEDGER_SECRET_KEY": TEST_SECRET_KEY,
        "LEDGER_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "LEDGER_WEBHOOKS_POLL_S": "0.05",
        "LEDGER_WEBHOOKS_BASE_BACKOFF_S": "0.1",
        "LEDGER_WEBHOOKS_MAX_BACKOFF_S": "0.3",
    }

    def start(n: int) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"webhooks-{n}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "webhooks"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    first, second = start(1), None
    try:
        positions = status_changes(store, tenant.number, 3)
        wait_for(lambda: len(state.mine()) >= 2, 60)  # retrying while the receiver is down
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        state.down = False
        second = start(2)
        wait_for(lambda: len(state.delivered()) >= 3, 60)
        time.sleep(0.5)  # anything sent twice would have arrived by now
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    ids = [delivery_id(subscription["subscription_id"], p) for p in positions]
    assert [r.webhook_id for r in state.delivered()] == ids
    assert all(r.verified for r in state.mine())


def test_a_410_gone_disables_the_subscription_at_once(
    store, database_url, store_feed, receiver, worker
):
    state, url = receiver
    tenant = new_reseller(store)
    subscription = new_subscription(store, tenant.number, url, ["customer.status_changed"])
    state.secret, state.answer = subscription["secret"], 410
    wait_for(lambda: projected(database_url, subscription["subscription_id"]))
    worker(FAST)
    status_changes(store, tenant.number, 2)
    found_id = uuid.UUID(subscription["subscription_id"])

    def disabled() -> bool:
        found = store.repository.get(found_id)
        return isinstance(found, WebhookSubscription) and not found.active

    wait_for(disabled)
    time.sleep(0.3)
    assert [r.status for r in state.log] == [410], "one attempt, nothing after it"
    assert "410 Gone" in (store.repository.get(found_id).disabled_reason or "")
