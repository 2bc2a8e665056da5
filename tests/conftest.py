"""Shared fixtures. Every test that needs services uses the real ones: a throwaway PostgreSQL
database per test session (per xdist worker) and, for the Kafka path, a Tansu broker."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.deps import ApiConfig, ApiServices
from commands.access.auth import AuthConfig, AuthServices
from infra.auth_store import (
    FernetBox,
    PostgresSessionStore,
    PostgresThrottle,
    ensure_auth_tables,
)
from infra.database import create_read_models
from infra.event_store import LedgerStore, open_store
from infra.jobs import DramatiqJobs, make_broker, start_jobs
from infra.relay import ensure_relay_tables
from projections.feeds import run_store_feed
from projections.registry import PROJECTORS
from tests.support.builders import Tenant, isp_token, new_reseller
from tests.support.privacy import TEST_MASTER_KEY
from tests.support.services import Broker, throwaway_database


def prepared_store(url: str) -> LedgerStore:
    store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=12)
    with psycopg.connect(url, autocommit=True) as conn:
        create_read_models(conn)
        ensure_relay_tables(conn)
        ensure_auth_tables(conn)
    return store


class Clock:
    """The API's clock: real time plus an offset that tests move forward (never back)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


TEST_SECRET_KEY = "test-only-secret-key-0123456789abcdef"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


@pytest.fixture(scope="session")
def store(database_url: str) -> Iterator[LedgerStore]:
    store = prepared_store(database_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def read_pool(database_url: str, store: LedgerStore) -> Iterator[ConnectionPool[Any]]:
    pool: ConnectionPool[Any] = ConnectionPool(
        database_url, min_size=1, max_size=8, kwargs={"autocommit": True}, open=True
    )
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def store_feed(database_url: str, store: LedgerStore) -> Iterator[None]:
    """The embedded default's projector feed, running for the whole session."""
    with running_store_feed(database_url, store):
        yield


@contextmanager
def running_store_feed(database_url: str, store: LedgerStore) -> Iterator[None]:
    """Every projector on the store feed, in a thread, while the block runs."""
    stopping = threading.Event()
    thread = threading.Thread(
        target=run_store_feed,
        args=(
            store,
            lambda: psycopg.connect(database_url, autocommit=True),
            list(PROJECTORS.values()),
            500,
            0.01,
            stopping,
        ),
        daemon=True,
    )
    thread.start()
    yield
    stopping.set()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def auth(read_pool: ConnectionPool[Any]) -> AuthServices:
    return AuthServices(
        config=AuthConfig(),
        sessions=PostgresSessionStore(read_pool),
        throttle=PostgresThrottle(read_pool),
        box=FernetBox(TEST_SECRET_KEY),
    )


REDIS_URL = os.environ.get("LEDGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def job_broker(store: LedgerStore, database_url: str) -> Iterator[Any]:
    """A real Redis broker in a namespace of its own; no worker consumes it unless a test
    starts one."""
    broker = make_broker(REDIS_URL, namespace=f"ledger-test-{uuid.uuid4().hex[:8]}")
    start_jobs(store, database_url, broker)
    yield broker
    broker.flush_all()
    broker.close()


@pytest.fixture(scope="session")
def api_services(
    store: LedgerStore,
    read_pool: ConnectionPool[Any],
    store_feed: None,
    auth: AuthServices,
    clock: Clock,
    job_broker: Any,
) -> ApiServices:
    return ApiServices(
        store=store,
        read_pool=read_pool,
        auth=auth,
        config=ApiConfig(max_body_bytes=16_384),
        clock=clock,
        jobs=DramatiqJobs(),
    )


@pytest.fixture(scope="session")
def client(api_services: ApiServices) -> Iterator[TestClient]:
    with TestClient(create_app(api_services)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def isp_headers(store: LedgerStore) -> dict[str, str]:
    return {"Authorization": f"Bearer {isp_token(store)}"}


@pytest.fixture
def tenant(store: LedgerStore) -> Tenant:
    from domain.access.roles import ISP_ROLES, Role

    return new_reseller(store, roles=tuple(r for r in Role if r not in ISP_ROLES))


@pytest.fixture
def other_tenant(store: LedgerStore) -> Tenant:
    from domain.access.roles import Role

    return new_reseller(store, roles=(Role.ADMIN,))


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    broker = Broker(Path(tmp_path_factory.mktemp("broker")))
    broker.start()
    yield broker
    broker.stop()
