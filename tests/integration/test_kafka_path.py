"""Through Kafka: the relay publishes the store's events to the Tansu broker, projectors consume
them in their own consumer groups, and every read model equals a fresh rebuild from the store."""

import json
import threading
import uuid
from decimal import Decimal

import psycopg
import pytest
from kafka import KafkaConsumer

from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    record_charge,
    record_payment,
)
from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from domain.access.roles import Role
from infra.relay import Relay, published_positions
from projections.feeds import FeedStats, run_kafka_feed
from projections.registry import PROJECTORS
from tests.conftest import prepared_store
from tests.support.builders import context, new_reseller, new_user, reseller_principal
from tests.support.disputes import disputed_commission
from tests.support.payouts import pay_out_a_cycle
from tests.support.projection_checks import (
    assert_projections_equal_rebuild,
    expected_tenant_positions,
    read_topic,
    wait_until_caught_up,
)
from tests.support.services import throwaway_database
from tests.support.tickets import ticket
from tests.support.webhooks import new_subscription

TOPIC = "ledger.events.test"


def consumer_for(broker, projector_name: str) -> KafkaConsumer:
    return KafkaConsumer(
        TOPIC,
        bootstrap_servers=broker.bootstrap,
        group_id=f"test.{projector_name}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        max_poll_interval_ms=10000,
    )


def make_history(store, tenants, customers_each=5):
    for tenant in tenants:
        admin = reseller_principal(tenant.number, Role.ADMIN)
        new_user(store, tenant.number, f"kafka.{uuid.uuid4().hex[:8]}")
        for i in range(customers_each):
            created = create_customer(
                store,
                context(admin),
                CreateCustomer(
                    customer_type="person",
                    first_name=f"C{i}",
                    last_name="Kafka",
                    email=f"c{i}@example.com",
                    reseller_id=tenant.number,
                ),
            )
            customer_id = uuid.UUID(json.loads(created.body)["customer_id"])
            paid = record_customer_payment(
                store,
                context(admin),
                customer_id,
                CustomerPayment(amount=Decimal("4.50"), currency=tenant.currency, method="cash"),
            )
            if i == 0:
                disputed_commission(store, json.loads(paid.body)["commissions"][0])
            change_customer_status(
                store, context(admin), customer_id, ChangeCustomerStatus(status="active")
            )
            record_charge(
                store,
                context(),
                tenant.number,
                RecordCharge(
                    amount=Decimal("10.25") * (i + 1), currency=tenant.currency, description="bw"
                ),
            )
            record_payment(
                store,
                context(admin),
                tenant.number,
                RecordPayment(
                    amount=Decimal("3.10"), currency=tenant.currency, method="bank_transfer"
                ),
            )
        pay_out_a_cycle(store, tenant)
        ticket(store, tenant.number, state="in_progress")
        new_subscription(store, tenant.number)  # so the webhooks projection has rows


@pytest.fixture
def isolated():
    with throwaway_database("ledger_kafka") as url:
        store = prepared_store(url)
        yield url, store
        store.close()


def test_relay_to_kafka_to_projectors_equals_rebuild(isolated, broker):
    url, store = isolated
    tenants = [new_reseller(store, currency=c, roles=()) for c in ("USD", "EUR", "NGN")]
    make_history(store, tenants)

    stopping = threading.Event()
    relay = Relay(store, url, broker.bootstrap, TOPIC, partitions=4, batch_size=100, poll_s=0.02)
    threads = [threading.Thread(target=relay.run, args=(stopping,), daemon=True)]
    stats = {name: FeedStats() for name in PROJECTORS}

    def published():
        with psycopg.connect(url, autocommit=True) as conn:
            return published_positions(conn)

    for name, projector in PROJECTORS.items():
        consumer = consumer_for(broker, name)
        threads.append(
            threading.Thread(
                target=run_kafka_feed,
                args=(
                    store,
                    lambda: psycopg.connect(url, autocommit=True),
                    projector,
                    consumer,
                    published,
                    200,
                    100,
                    stopping,
                ),
                kwargs={"stats": stats[name], "idle_polls_before_reconcile": 10_000},
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    try:
        wait_until_caught_up(url, store, timeout_s=60)
        make_history(store, tenants[:2], customers_each=3)  # while everything runs
        wait_until_caught_up(url, store, timeout_s=60)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=20)

    assert_projections_equal_rebuild(url, store)
    for name, feed in stats.items():
        assert feed.repaired_from_store == 0, (name, feed)
        assert feed.applied_from_kafka > 0, (name, feed)
    # Every event is on the topic, keyed by its tenant, once per relay pass.
    expected = expected_tenant_positions(store)
    with psycopg.connect(url, autocommit=True) as conn:
        assert published_positions(conn) == expected
    total = len(store.recorder.select_notifications(start=1, limit=100_000))
    seen = read_topic(broker, TOPIC, total)
    assert sorted(seen) == sorted(
        n.id for n in store.recorder.select_notifications(start=1, limit=100_000)
    )
