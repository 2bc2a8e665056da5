"""Issue 11 §7: waiting for a position holds no pooled connection, waiters are bounded per
principal and tenant, and one tenant's waits never starve another tenant's reads.

A real uvicorn (real threads, a small read pool) takes 100 concurrent waits for a position that
will not come, from every token of one tenant, while another tenant lists its customers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import pytest
from psycopg_pool import ConnectionPool

from api.deps import ApiServices
from api.waiting import PositionWaiters, WaitLimits
from tests.support.live_server import live_server

WAITERS = 100
WAIT_MS = 3_000
FAR_AWAY = 10**12
READ_BOUND_S = 1.0
LIMITS = WaitLimits(per_principal=2, per_tenant=6, total=12)


@pytest.fixture
def small_pool(database_url: str) -> Any:
    pool: ConnectionPool[Any] = ConnectionPool(
        database_url, min_size=1, max_size=3, kwargs={"autocommit": True}, timeout=10, open=True
    )
    yield pool
    pool.close()


def test_a_hundred_waiters_do_not_starve_another_tenants_reads(
    api_services: ApiServices, small_pool: Any, tenant: Any, other_tenant: Any
) -> None:
    services = replace(
        api_services,
        read_pool=small_pool,
        config=replace(api_services.config, read_wait_max_ms=WAIT_MS, wait_limits=LIMITS),
        waiters=PositionWaiters(),
    )
    tokens = list(tenant.tokens.values())
    assert len(tokens) >= 3
    with live_server(services) as url, httpx.Client(base_url=url, timeout=60) as http:

        def wait(i: int) -> tuple[int, float, dict[str, Any], str | None]:
            started = time.monotonic()
            response = http.get(
                "/reseller/api/customers",
                params={"wait_for_position": FAR_AWAY, "wait_timeout_ms": WAIT_MS},
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            )
            return (
                response.status_code,
                time.monotonic() - started,
                response.json(),
                response.headers.get("Retry-After"),
            )

        with ThreadPoolExecutor(WAITERS) as pool:
            futures = [pool.submit(wait, i) for i in range(WAITERS)]
            time.sleep(0.5)  # the waits are in
            read_times = []
            for _ in range(10):
                started = time.monotonic()
                response = http.get("/reseller/api/customers", headers=other_tenant.headers())
                read_times.append(time.monotonic() - started)
                assert response.status_code == 200, response.text
            waits = [f.result() for f in futures]
    assert max(read_times) < READ_BOUND_S, read_times
    admitted = [w for w in waits if w[0] == 200]
    refused = [w for w in waits if w[0] == 429]
    assert len(admitted) + len(refused) == WAITERS, [w[0] for w in waits]
    # Bounded per tenant (and per principal), the rest told when to come back.
    assert 1 <= len(admitted) <= LIMITS.per_tenant
    assert all(not body["position_reached"] and seconds >= 2.5 for _, seconds, body, _ in admitted)
    assert all(retry == "1" for *_, retry in refused)
    assert services.waiters.waiting == 0


def test_a_wait_that_is_reached_wakes_and_holds_no_connection(
    api_services: ApiServices, small_pool: Any, client: Any, tenant: Any
) -> None:
    services = replace(api_services, read_pool=small_pool, waiters=PositionWaiters())
    with live_server(services) as url, httpx.Client(base_url=url, timeout=30) as http:
        created = client.post(
            "/reseller/api/customers",
            json={
                "customer_type": "person",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "reseller_id": tenant.number,
            },
            headers=tenant.headers(),
        )
        assert created.status_code == 201, created.text
        position = int(created.headers["Ledger-Position"])
        listed = http.get(
            "/reseller/api/customers",
            params={"wait_for_position": position, "wait_timeout_ms": 5_000},
            headers=tenant.headers(),
        )
        assert listed.status_code == 200
        assert listed.json()["position_reached"] is True
        assert [c["first_name"] for c in listed.json()["items"]] == ["Ada"]
    stats = small_pool.get_stats()
    assert stats.get("pool_size", 0) - stats.get("pool_available", 0) == 0, stats
