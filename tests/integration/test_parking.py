"""An event no projector can apply parks its tenant; everyone else keeps projecting (issue 10 §1).

Each test runs on a database of its own: a parked tenant makes `/readyz` answer 503, which must
not leak into the rest of the session.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import psycopg
import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool
from typer.testing import CliRunner

from api.app import create_app
from api.deps import ApiServices
from commands.access.auth import AuthConfig, AuthServices
from commands.customers.customers import CreateCustomer, create_customer
from domain.customers.customer import Customer
from infra import cli
from infra.auth_store import FernetBox, PostgresSessionStore, PostgresThrottle
from infra.event_store import LedgerStore
from infra.relay import Relay, published_positions
from infra.settings import get_settings
from projections.base import Projector, apply_batch, tenant_positions
from projections.customers.customers import CustomersProjector
from projections.envelope import Envelope, read_envelopes
from projections.feeds import run_kafka_feed, run_store_feed
from projections.parking import error_text, parked_tenants
from projections.personal import unsealer_of
from projections.registry import PROJECTORS
from projections.resume import retry_parked
from replays.diff import diff_schemas
from replays.rebuild import drop_schema, rebuild
from tests.conftest import TEST_SECRET_KEY, prepared_store
from tests.support.builders import Tenant, context, new_reseller, reseller_principal
from tests.support.kafka_path import consumer
from tests.support.privacy import PRIVACY_ENV
from tests.support.projection_checks import assert_projections_equal_rebuild
from tests.support.services import Broker, throwaway_database

REGISTERED = "Customer.Registered"
TIMEOUT_S = 60.0  # a bound on waiting, not a speed claim: a loaded 2-core machine needs room


@dataclass
class World:
    url: str
    store: LedgerStore
    client: TestClient
    monkeypatch: pytest.MonkeyPatch

    def ledger(self, *args: str, check: bool = True) -> Result:
        """The `ledger` command on this database, in this process (a subprocess costs seconds
        of imports): its settings from the environment, its own store and connections."""
        for name, value in {"LEDGER_DATABASE_URL": self.url, **PRIVACY_ENV}.items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setattr(cli, "configure_logging", lambda *_: None)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli.app, list(args))
        finally:
            get_settings.cache_clear()
        if check:
            assert result.exit_code == 0, result.output
        return result

    def customers_of(self, tenant: int) -> list[str]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT last_name FROM proj_customers.customers WHERE tenant = %s "
                "ORDER BY last_name",
                (tenant,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def parked(self, projector: type[Projector] = CustomersProjector) -> dict[int, Any]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return parked_tenants(conn, projector.live_schema())


class Feed:
    """The store feed in a thread, as `ledger project --feed store` runs it."""

    def __init__(self, world: World) -> None:
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=run_store_feed,
            args=(
                world.store,
                lambda: psycopg.connect(world.url, autocommit=True),
                list(PROJECTORS.values()),
                100,
                0.01,
                self.stopping,
            ),
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with throwaway_database("ledger_parking") as url:
        store = prepared_store(url)
        pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True
        )
        auth = AuthServices(
            config=AuthConfig(),
            sessions=PostgresSessionStore(pool),
            throttle=PostgresThrottle(pool),
            box=FernetBox(TEST_SECRET_KEY),
        )
        services = ApiServices(store=store, read_pool=pool, auth=auth)
        with TestClient(create_app(services)) as client:
            yield World(url, store, client, monkeypatch)
        pool.close()
        store.close()


def add_customer(
    store: LedgerStore, tenant: Tenant, last_name: str, raw_first_name: str | None = None
) -> tuple[int, int]:
    """Straight into the store through the command, as a worker or a future bug would; with
    `raw_first_name`, the stored event carries it whatever validation the command has. Returns
    the log's head before and after."""
    before = int(store.recorder.max_notification_id() or 0)
    register = Customer.register

    def with_raw_first_name(**kwargs: Any) -> Customer:
        customer = register(**kwargs)
        if raw_first_name is not None:
            (event,) = customer.pending_events
            object.__setattr__(event, "first_name", raw_first_name)
        return customer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Customer, "register", with_raw_first_name)
        result = create_customer(
            store,
            context(reseller_principal(tenant.number)),
            CreateCustomer(customer_type="person", first_name="Ann", last_name=last_name),
        )
    assert result.status_code == 201, result.body
    return before, int(store.recorder.max_notification_id() or 0)


def raising_for(tenant: int, handler: Callable[..., None]) -> Callable[..., None]:
    def broken(cur: Any, schema: Any, e: Envelope) -> None:
        if e.tenant == tenant:
            raise KeyError("portal_id")  # what a projector bug looks like
        handler(cur, schema, e)

    return broken


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_tenant_that_cannot_be_applied_is_parked_and_resumes_once_fixed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = new_reseller(world.store)
    good = new_reseller(world.store)
    original = CustomersProjector.handlers[REGISTERED]
    monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, raising_for(bad.number, original))
    feed = Feed(world)
    try:
        add_customer(world.store, good, "Good-1")
        before, after = add_customer(world.store, bad, "Bad-1")
        add_customer(world.store, bad, "Bad-2")  # a later event of the parked tenant waits
        add_customer(world.store, good, "Good-2")

        # Every other tenant keeps projecting; the bad one is parked at its failing event.
        wait_for(lambda: world.customers_of(good.number) == ["Good-1", "Good-2"], "good tenant")
        parked = world.parked()
        assert list(parked) == [bad.number]
        failing = parked[bad.number].position
        assert before < failing <= after
        assert parked[bad.number].event_type == REGISTERED
        assert "KeyError" in parked[bad.number].error
        assert world.customers_of(bad.number) == []
        with psycopg.connect(world.url, autocommit=True) as conn:
            assert tenant_positions(conn, CustomersProjector)[bad.number] < failing
            # Only the customers projector choked: the others applied the tenant's events.
            assert tenant_positions(conn, PROJECTORS["activity"])[bad.number] > failing

        ready = world.client.get("/readyz")
        assert ready.status_code == 503, ready.text
        body = ready.json()
        assert body["status"] == "degraded"
        assert list(body["projectors"]) == ["customers"]
        assert f"parked tenant(s) {bad.number}" in body["projectors"]["customers"][0]

        status = world.ledger("status", check=False)
        assert status.exit_code == 1, status.output
        line = next(x for x in status.stdout.splitlines() if x.startswith("customers "))
        assert f"{bad.number}@{failing}" in line
        assert "KeyError" in status.stdout

        # Fixed (the deployed projector is the right one), then retried: the tenant catches up.
        monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, original)
        retried = world.ledger("project", "--retry-parked", "--projector", "customers")
        assert f"customers: tenant {bad.number} resumed" in retried.stdout
        assert world.parked() == {}
        assert world.customers_of(bad.number) == ["Bad-1", "Bad-2"]
        add_customer(world.store, bad, "Bad-3")
        wait_for(lambda: world.customers_of(bad.number)[-1:] == ["Bad-3"], "resumed tenant")
        wait_for(lambda: world.client.get("/readyz").status_code == 200, "ready again")
        assert world.ledger("status").stdout.splitlines()[-1] == "ok"
    finally:
        feed.stop()
    assert_projections_equal_rebuild(world.url, world.store, require_rows=False)


def test_a_restart_retries_parked_tenants_and_rebuilds_park_the_same_way(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = new_reseller(world.store)
    good = new_reseller(world.store)
    original = CustomersProjector.handlers[REGISTERED]
    monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, raising_for(bad.number, original))
    before, after = add_customer(world.store, bad, "Bad-1")
    add_customer(world.store, good, "Good-1")

    # A rebuild meets the same event: it parks the tenant in the rebuilt schema, no crash.
    with psycopg.connect(world.url, autocommit=True) as conn:
        report = rebuild(world.store, conn, CustomersProjector, 100, target_schema="parking_check")
        assert report.parked == (bad.number,)
        assert before < parked_tenants(conn, "parking_check")[bad.number].position <= after
        drop_schema(conn, "parking_check")

    feed = Feed(world)
    try:
        wait_for(lambda: world.customers_of(good.number) == ["Good-1"], "good tenant")
        wait_for(lambda: list(world.parked()) == [bad.number], "parked tenant")
        # Still broken on a restart: parked again, with its first sighting kept.
        first = world.parked()[bad.number]
        feed.stop()
        feed = Feed(world)
        wait_for(lambda: world.parked()[bad.number].attempts > first.attempts, "a retry")
        assert world.parked()[bad.number].first_seen == first.first_seen
        assert world.customers_of(bad.number) == []
        # Fixed and restarted: the start retries the tenant.
        feed.stop()
        monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, original)
        feed = Feed(world)
        wait_for(lambda: world.customers_of(bad.number) == ["Bad-1"], "resumed tenant")
        assert world.parked() == {}
    finally:
        feed.stop()
    assert_projections_equal_rebuild(world.url, world.store, require_rows=False)


def test_the_kafka_path_parks_too_and_keeps_the_tenant_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Kafka feed applies with gap checks (`check_gaps`); a parked tenant's later envelopes
    are held back, not reported as gaps, and the other tenants' envelopes apply."""
    bad = new_reseller(world.store)
    good = new_reseller(world.store)
    original = CustomersProjector.handlers[REGISTERED]
    monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, raising_for(bad.number, original))
    add_customer(world.store, bad, "Bad-1")
    add_customer(world.store, good, "Good-1")
    add_customer(world.store, bad, "Bad-2")
    envelopes = read_envelopes(world.store, 0, 1000)
    previous: dict[int, int] = {}
    chained = []
    for e in envelopes:  # what the relay adds to each envelope
        chained.append(replace(e, tenant_previous=previous.get(e.tenant)))
        previous[e.tenant] = e.position
    with psycopg.connect(world.url, autocommit=True) as conn:
        for batch in (chained[: len(chained) // 2], chained[len(chained) // 2 :]):
            apply_batch(
                conn, CustomersProjector, batch, check_gaps=True, unsealer=unsealer_of(world.store)
            )
        assert list(parked_tenants(conn, CustomersProjector.live_schema())) == [bad.number]
    assert world.customers_of(good.number) == ["Good-1"]
    assert world.customers_of(bad.number) == []


def test_a_nul_in_a_stored_customer_name_projects_and_diffs_clean(world: World) -> None:
    """The store accepted it (a bypass of the API): every projector writes it the same way."""
    tenant = new_reseller(world.store)
    add_customer(world.store, tenant, "Nul", raw_first_name="A\x00nn")
    feed = Feed(world)
    try:
        wait_for(lambda: world.customers_of(tenant.number) == ["Nul"], "the customer")
        assert all(world.parked(p) == {} for p in PROJECTORS.values())
    finally:
        feed.stop()
    result = world.ledger("diff", "customers")  # exit 0: no difference
    assert "customers: live 1 rows, rebuild 1 rows; 0 only live, 0 only rebuilt, 0 differ" in (
        result.stdout
    )
    with psycopg.connect(world.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT first_name FROM proj_customers.customers WHERE tenant = %s", (tenant.number,)
        ).fetchone()
        assert row == ("A\ufffdnn",)
        shadow = "customers_nul_check"
        rebuild(world.store, conn, CustomersProjector, 100, target_schema=shadow)
        assert all(
            t.equal for t in diff_schemas(conn, CustomersProjector, "proj_customers", shadow)
        )
        drop_schema(conn, shadow)
    assert json.loads(world.client.get("/readyz").text)["status"] == "ready"


def test_a_database_error_is_recorded_without_the_row_it_quotes(world: World) -> None:
    """A constraint's detail quotes the failing row (personal data an erasure would not reach)."""
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE named (name text CHECK (name <> 'Secret Ann'))")
        with pytest.raises(psycopg.Error) as raised:
            conn.execute("INSERT INTO named VALUES ('Secret Ann')")
    assert "Secret Ann" in str(raised.value)
    text = error_text(raised.value)
    assert text.startswith("CheckViolation: new row for relation") and "23514" in text
    assert "Secret Ann" not in text


def test_the_kafka_feed_parks_a_tenant_and_resumes_it_once_fixed(
    world: World, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relay, Tansu and `run_kafka_feed` for the customers projector."""
    topic = f"parking.{uuid.uuid4().hex[:8]}"
    bad = new_reseller(world.store)
    good = new_reseller(world.store)
    original = CustomersProjector.handlers[REGISTERED]
    monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, raising_for(bad.number, original))
    stopping = threading.Event()
    relay = Relay(world.store, world.url, broker.bootstrap, topic, 2, 100, 0.02)

    def published() -> dict[int, int]:
        with psycopg.connect(world.url, autocommit=True) as conn:
            return published_positions(conn)

    group = consumer(broker.bootstrap, topic, f"{topic}.customers")
    threads = [
        threading.Thread(target=relay.run, args=(stopping,), daemon=True),
        threading.Thread(
            target=run_kafka_feed,
            args=(
                world.store,
                lambda: psycopg.connect(world.url, autocommit=True),
                CustomersProjector,
                group,
                published,
                100,
                100,
                stopping,
            ),
            daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    try:
        add_customer(world.store, bad, "Bad-1")
        add_customer(world.store, good, "Good-1")
        add_customer(world.store, bad, "Bad-2")
        add_customer(world.store, good, "Good-2")
        wait_for(lambda: world.customers_of(good.number) == ["Good-1", "Good-2"], "good tenant")
        assert list(world.parked()) == [bad.number]
        assert world.customers_of(bad.number) == []

        monkeypatch.setitem(CustomersProjector.handlers, REGISTERED, original)
        with psycopg.connect(world.url, autocommit=True) as conn:
            (outcome,) = retry_parked(world.store, conn, CustomersProjector, 100)
        assert (outcome.tenant, outcome.resumed) == (bad.number, True)
        assert world.customers_of(bad.number) == ["Bad-1", "Bad-2"]
        add_customer(world.store, bad, "Bad-3")  # through Kafka again, in order
        wait_for(lambda: world.customers_of(bad.number)[-1:] == ["Bad-3"], "resumed tenant")
        assert all(t.is_alive() for t in threads)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=20)
        group.close()
    with psycopg.connect(world.url, autocommit=True) as conn:
        rebuild(world.store, conn, CustomersProjector, 100, target_schema="kafka_parking_check")
        diffs = diff_schemas(conn, CustomersProjector, "proj_customers", "kafka_parking_check")
        assert all(t.equal for t in diffs), diffs
        drop_schema(conn, "kafka_parking_check")
