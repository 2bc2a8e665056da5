"""Crash safety of the event path, with real processes and a real broker.

While a stream of 2,000+ commands runs, `ledger relay` and `ledger project --feed kafka` are
killed (SIGKILL) at random points and restarted, and the broker is restarted once, losing every
message and committed offset. Afterwards every projection must equal a fresh rebuild from the
store: nothing applied twice, nothing missed. The seed is printed so a failure can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from decimal import Decimal

import pytest

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
from commands.errors import CommandError
from domain.access.roles import Role
from tests.conftest import prepared_store
from tests.support.builders import context, new_reseller, new_user, reseller_principal
from tests.support.disputes import disputed_commission
from tests.support.privacy import PRIVACY_ENV
from tests.support.processes import Process
from tests.support.projection_checks import (
    assert_projections_equal_rebuild,
    wait_until_caught_up,
)
from tests.support.services import throwaway_database
from tests.support.tickets import ticket
from tests.support.webhooks import new_subscription

COMMANDS = 2_200


def command_stream(store, tenants, count: int, rng: random.Random, done: list[int]) -> None:
    customers: dict[int, list[uuid.UUID]] = {t.number: [] for t in tenants}
    disputed: set[int] = set()
    for tenant in tenants:
        ticket(store, tenant.number, state="in_progress")  # so the support projection has rows
        new_subscription(store, tenant.number)  # and the webhooks projection
    for i in range(count):
        tenant = rng.choice(tenants)
        admin = reseller_principal(tenant.number, Role.ADMIN)
        roll = rng.random()
        try:
            if roll < 0.02:
                new_user(store, tenant.number, f"chaos.{i}")
            elif roll < 0.3 or not customers[tenant.number]:
                result = create_customer(
                    store,
                    context(admin),
                    CreateCustomer(
                        customer_type="person",
                        first_name=f"N{i}",
                        last_name="Chaos",
                        email=f"n{i}@example.com",
                        reseller_id=tenant.number,
                    ),
                )
                customers[tenant.number].append(uuid.UUID(json.loads(result.body)["customer_id"]))
            elif roll < 0.45:
                change_customer_status(
                    store,
                    context(admin),
                    rng.choice(customers[tenant.number]),
                    ChangeCustomerStatus(status=rng.choice(["active", "suspended", "pending"])),
                )
            elif roll < 0.55:
                paid = record_customer_payment(
                    store,
                    context(admin),
                    rng.choice(customers[tenant.number]),
                    CustomerPayment(
                        amount=Decimal(rng.randint(1, 9_000)) / 100,
                        currency=tenant.currency,
                        method="card",
                    ),
                )
                commissions = json.loads(paid.body)["commissions"]
                if commissions and tenant.number not in disputed:
                    disputed.add(tenant.number)
                    disputed_commission(store, commissions[0])
            elif roll < 0.75:
                record_charge(
                    store,
                    context(),
                    tenant.number,
                    RecordCharge(
                        amount=Decimal(rng.randint(1, 50_000)) / 100,
                        currency=tenant.currency,
                        description="wholesale",
                    ),
                )
            else:
                record_payment(
                    store,
                    context(admin),
                    tenant.number,
                    RecordPayment(
                        amount=Decimal(rng.randint(1, 50_000)) / 100,
                        currency=tenant.currency,
                        method="bank_transfer",
                    ),
                )
        except CommandError:
            pass  # e.g. a refused status transition: refused commands write nothing
        done[0] = i + 1


@pytest.fixture
def isolated():
    with throwaway_database("ledger_crash") as url:
        store = prepared_store(url)
        yield url, store
        store.close()


def test_kill_relay_projector_and_broker_during_a_command_stream(isolated, broker, tmp_path):
    url, store = isolated
    seed = int(os.environ.get("LEDGER_TEST_SEED", random.randrange(1 << 30)))
    print(f"crash-safety seed: {seed} (replay with LEDGER_TEST_SEED={seed})")
    rng = random.Random(seed)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
        "LEDGER_DATABASE_URL": url,
        **PRIVACY_ENV,
        "LEDGER_KAFKA_BOOTSTRAP": broker.bootstrap,
        "LEDGER_KAFKA_TOPIC": f"ledger.crash.{uuid.uuid4().hex[:8]}",
        "LEDGER_KAFKA_PARTITIONS": "4",
        "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "LEDGER_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "LEDGER_KAFKA_MAX_POLL_INTERVAL_MS": "10000",
        "LEDGER_RELAY_POLL_MS": "20",
        "LEDGER_PROJECTOR_POLL_MS": "100",
        "LEDGER_RELAY_BATCH_SIZE": "50",
        "LEDGER_PROJECTOR_BATCH_SIZE": "100",
        "LEDGER_LOG_LEVEL": "WARNING",
    }
    relay = Process(["relay"], env, tmp_path)
    projector = Process(["project", "--feed", "kafka"], env, tmp_path)
    tenants = [new_reseller(store, currency=c, roles=()) for c in ("USD", "EUR", "NGN", "JPY")]
    relay.start()
    projector.start()

    done = [0]
    stream = threading.Thread(
        target=command_stream, args=(store, tenants, COMMANDS, random.Random(seed + 1), done)
    )
    stream.start()
    kills = {"relay": 0, "project": 0}
    broker_restarted = False
    try:
        while stream.is_alive():
            time.sleep(rng.uniform(0.3, 1.5))
            if not broker_restarted and done[0] > COMMANDS // 2:
                broker.restart()
                broker_restarted = True
                continue
            victim = rng.choice([relay, projector])
            victim.kill()
            kills[victim.args[0]] += 1
            time.sleep(rng.uniform(0.0, 0.5))
            victim.start()
        stream.join()
        assert broker_restarted and kills["relay"] and kills["project"], kills
        relay.assert_alive()
        projector.assert_alive()
        wait_until_caught_up(url, store, timeout_s=180)
    finally:
        relay.stop()
        projector.stop()
    print(f"kills: {kills}, commands: {done[0]}")
    assert done[0] == COMMANDS
    assert_projections_equal_rebuild(url, store)
