"""Issue 10 §3: read-your-writes in both feed modes. A replayed command answers a position the
caller can wait on (its own, not the head of the log, which may be another tenant's event), and
an ISP-level query (no tenant) can wait for a position, through the store feed and through Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.deps import ApiConfig, ApiServices
from commands.access.auth import AuthConfig, AuthServices
from infra.auth_store import FernetBox, PostgresSessionStore, PostgresThrottle
from tests.conftest import TEST_SECRET_KEY, prepared_store
from tests.support.builders import isp_token, new_reseller
from tests.support.kafka_path import kafka_path
from tests.support.services import throwaway_database

WAIT_MS = 5_000


def _customer(reseller: int) -> dict[str, Any]:
    return {
        "customer_type": "person",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": f"{uuid.uuid4().hex[:8]}@example.com",
        "reseller_id": reseller,
    }


def check_read_your_writes(client: TestClient, isp: dict[str, str], store: Any) -> None:
    first, second = new_reseller(store), new_reseller(store)
    key = {"Idempotency-Key": f"ryw-{uuid.uuid4().hex}"}
    body = _customer(first.number)
    created = client.post("/reseller/api/customers", json=body, headers={**first.headers(), **key})
    assert created.status_code == 201, created.text
    original = int(created.headers["Ledger-Position"])
    # Another tenant writes after it: the head of the log is now the other tenant's.
    later = client.post(
        "/reseller/api/customers", json=_customer(second.number), headers=second.headers()
    )
    assert later.status_code == 201, later.text
    head = int(later.headers["Ledger-Position"])
    assert head > original

    replayed = client.post("/reseller/api/customers", json=body, headers={**first.headers(), **key})
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.content == created.content
    position = int(replayed.headers["Ledger-Position"])
    assert original <= position < head
    listed = client.get(
        "/reseller/api/customers",
        params={"wait_for_position": position, "wait_timeout_ms": WAIT_MS},
        headers=first.headers(),
    )
    assert listed.status_code == 200
    assert listed.json()["position_reached"] is True
    assert len(listed.json()["items"]) == 1

    # ISP-level (no tenant): reached once every tenant holds its events up to the position.
    everyone = client.get(
        "/reseller/api/ledger/trial-balance",
        params={"wait_for_position": head, "wait_timeout_ms": WAIT_MS},
        headers=isp,
    )
    assert everyone.status_code == 200, everyone.text
    assert everyone.json()["position_reached"] is True
    # A position beyond the log is honestly not reached.
    beyond = client.get(
        "/reseller/api/ledger/trial-balance",
        params={"wait_for_position": head + 10_000, "wait_timeout_ms": 200},
        headers=isp,
    )
    assert beyond.json()["position_reached"] is False


def test_store_feed(client: TestClient, isp_headers: dict[str, str], store: Any) -> None:
    check_read_your_writes(client, isp_headers, store)


@pytest.fixture
def kafka_client(broker: Any) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    with throwaway_database("ledger_ryw") as url:
        store = prepared_store(url)
        pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=6, kwargs={"autocommit": True}, open=True
        )
        auth = AuthServices(
            config=AuthConfig(),
            sessions=PostgresSessionStore(pool),
            throttle=PostgresThrottle(pool),
            box=FernetBox(TEST_SECRET_KEY),
        )
        services = ApiServices(store=store, read_pool=pool, auth=auth, config=ApiConfig())
        topic = f"ledger.ryw.{uuid.uuid4().hex[:8]}"
        try:
            with (
                kafka_path(url, store, broker.bootstrap, topic),
                TestClient(create_app(services)) as client,
            ):
                yield client, {"Authorization": f"Bearer {isp_token(store)}"}, store
        finally:
            pool.close()
            store.close()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SELECT 1")


def test_kafka_feed(kafka_client: tuple[TestClient, dict[str, str], Any]) -> None:
    client, isp, store = kafka_client
    check_read_your_writes(client, isp, store)
