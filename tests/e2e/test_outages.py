"""`ledger project --feed kafka` (and the relay) ride out their peers' outages.

Real processes against a throwaway database and a private Tansu broker: the broker is killed
for 30 s (kafka-python gives up on a poll after about two seconds without a broker, which used
to end the feed thread and then the process), then the database refuses every connection and
loses every session for a while (only this test's database: the shared PostgreSQL server keeps
running for everyone else). The processes never exit, each outage is logged once per process
(not once per retry), and the read models catch up after each outage.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from commands.customers.customers import CreateCustomer, create_customer
from domain.access.roles import Role
from tests.conftest import prepared_store
from tests.support.builders import context, new_reseller, reseller_principal
from tests.support.privacy import PRIVACY_ENV
from tests.support.processes import Process, database_down, wait_alive
from tests.support.projection_checks import wait_until_caught_up
from tests.support.services import Broker, throwaway_database

BROKER_OUTAGE_S = 30.0
DATABASE_OUTAGE_S = 6.0


def create_customers(store, tenant, count: int, tag: str) -> None:
    admin = reseller_principal(tenant.number, Role.ADMIN)
    for i in range(count):
        create_customer(
            store,
            context(admin),
            CreateCustomer(
                customer_type="person",
                first_name=f"{tag}{i}",
                last_name="Outage",
                email=f"{tag}{i}@example.com",
                reseller_id=tenant.number,
            ),
        )


def outages_logged(log: Path, peer: str) -> int:
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "outage.started" and entry.get("peer") == peer:
            count += 1
    return count


def test_projector_and_relay_ride_out_a_broker_outage_and_a_database_outage(tmp_path):
    broker = Broker(tmp_path)
    broker.start()
    with throwaway_database("ledger_outage") as url:
        store = prepared_store(url)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
            "LEDGER_DATABASE_URL": url,
            **PRIVACY_ENV,
            "LEDGER_KAFKA_BOOTSTRAP": broker.bootstrap,
            "LEDGER_KAFKA_TOPIC": f"ledger.outage.{uuid.uuid4().hex[:8]}",
            "LEDGER_KAFKA_PARTITIONS": "2",
            "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "LEDGER_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "LEDGER_RELAY_POLL_MS": "20",
            "LEDGER_LOG_LEVEL": "WARNING",
        }
        relay = Process(["relay"], env, tmp_path)
        projector = Process(["project", "--feed", "kafka"], env, tmp_path)
        processes = [relay, projector]
        tenants = [new_reseller(store, roles=()) for _ in range(2)]
        relay.start()
        projector.start()
        try:
            for tenant in tenants:
                create_customers(store, tenant, 5, "before")
            wait_until_caught_up(url, store, timeout_s=60)

            broker.stop()
            for tenant in tenants:
                create_customers(store, tenant, 5, "brokerless")
            wait_alive(processes, BROKER_OUTAGE_S)
            broker.start()
            for tenant in tenants:
                create_customers(store, tenant, 3, "afterbroker")
            wait_until_caught_up(url, store, timeout_s=60)
            wait_alive(processes, 0.5)

            store.close()  # its sessions are about to be terminated
            with database_down(url):
                wait_alive(processes, DATABASE_OUTAGE_S)
            store = prepared_store(url)
            for tenant in tenants:
                create_customers(store, tenant, 5, "afterdb")
            wait_until_caught_up(url, store, timeout_s=60)
            wait_alive(processes, 0.5)
        finally:
            relay.stop()
            projector.stop()
            store.close()
            broker.stop()
    # Once per outage and process, not once per retry (a retry every <= 5 s of 30 s, in each of
    # a dozen feed threads, would be many more).
    # (kafka-python's consumer may ride out the broker outage without raising at all.)
    assert outages_logged(relay.log_path, "kafka") == 1, relay.log_path.read_text()
    assert outages_logged(projector.log_path, "kafka") <= 1, projector.log_path.read_text()
    for process in processes:
        assert outages_logged(process.log_path, "database") == 1, process.log_path.read_text()
