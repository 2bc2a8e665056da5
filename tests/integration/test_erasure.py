"""Erasure (crypto-shredding), end to end: after erasing a customer, a pg_dump of the database,
the Kafka topic, the logs and the read models hold none of its canary personal data, while the
stored events, the trial balance and every account balance are exactly what they were."""

import json
import logging
import re
import secrets
import shutil
import subprocess
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.deps import ApiServices
from commands.access.auth import AuthConfig, AuthServices
from commands.billing.payments import CustomerPayment, record_customer_payment
from domain.access.roles import Role
from domain.billing.customer_account import CustomerAccount, customer_account_id
from domain.customers.customer import Customer
from domain.ledger.personal import ERASED
from infra.auth_store import FernetBox, PostgresSessionStore, PostgresThrottle, ensure_auth_tables
from infra.chainer import ChainerConfig, chain_until_caught_up, ensure_chain_tables, events_table
from infra.database import create_read_models
from infra.event_store import EVENTS_TABLE, open_store
from infra.relay import Relay, ensure_relay_tables, published_positions
from projections.feeds import run_kafka_feed
from projections.ledger.journal import account_balances, trial_balance
from projections.registry import PROJECTORS
from replays.chain import key_id
from replays.verify import verify_store
from tests.conftest import TEST_SECRET_KEY
from tests.support.builders import context, isp_token, new_reseller, reseller_principal
from tests.support.privacy import TEST_MASTER_KEY
from tests.support.projection_checks import assert_projections_equal_rebuild, wait_until_caught_up
from tests.support.services import throwaway_database


def canaries() -> dict[str, str]:
    """Unique strings nobody else writes: if one shows up anywhere, it leaked."""
    tag = secrets.token_hex(6)
    return {
        "first_name": f"Fncanary{tag}",
        "last_name": f"Lncanary{tag}",
        "email": f"emcanary{tag}@canary.example",
        "phone": "+4479" + "".join(secrets.choice("0123456789") for _ in range(11)),
        "address": f"{tag} Canary Lane",
    }


def needles(values: dict[str, str]) -> list[bytes]:
    """Each canary as text and as PostgreSQL's hex rendering (how pg_dump writes bytea)."""
    found = []
    for value in values.values():
        found += [value.encode(), value.encode().hex().encode()]
    return found


def leaked(haystack: bytes, values: dict[str, str]) -> list[bytes]:
    lowered = haystack.lower()
    return [n for n in needles(values) if n.lower() in lowered]


def pg_dump_binary(url: str) -> str:
    """A pg_dump at least as new as the server (it refuses older servers' newer dumps)."""
    with psycopg.connect(url) as conn:
        server_major = conn.info.server_version // 10000
    candidates = [shutil.which("pg_dump"), f"/usr/lib/postgresql/{server_major}/bin/pg_dump"]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            version = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, check=True
            ).stdout
            match = re.search(r"(\d+)\.", version)
            if match and int(match.group(1)) >= server_major:
                return candidate
    raise AssertionError(f"no pg_dump for PostgreSQL {server_major} on this machine")


def pg_dump(url: str) -> bytes:
    return subprocess.run(
        [pg_dump_binary(url), "--no-owner", f"--dbname={url}"],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout


def topic_bytes(bootstrap: str, topic: str) -> bytes:
    """Every message on the topic, key and value, raw, from the beginning."""
    reader = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic)]
    reader.assign(partitions)
    reader.seek_to_beginning()
    ends = reader.end_offsets(partitions)
    chunks: list[bytes] = []
    for _ in range(200):
        for records in reader.poll(timeout_ms=200).values():
            for record in records:
                chunks += [record.key or b"", record.value or b""]
        if all(reader.position(p) >= ends[p] for p in partitions):
            break
    else:
        raise AssertionError("could not read the whole topic")
    reader.close()
    return b"\n".join(chunks)


def read_model_text(url: str) -> bytes:
    schemas = [f"proj_{name}" for name in PROJECTORS]
    chunks = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema = ANY(%s)",
            (schemas,),
        ).fetchall()
        for schema, table in tables:
            rows = conn.execute(f'SELECT t::text FROM "{schema}"."{table}" t').fetchall()
            chunks += [row[0] for row in rows]
    return "\n".join(chunks).encode()


def stored_events(url: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            f"SELECT notification_id, originator_id, originator_version, topic, state"
            f" FROM {EVENTS_TABLE} ORDER BY notification_id"
        ).fetchall()


def chain_and_verify(url: str, config: ChainerConfig) -> tuple[list[tuple], int]:
    """Chain every stored event, sign a checkpoint, verify: the chain rows and the anchored head."""
    public = config.signing_key.public_key()
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_chain_tables(conn)
        chain_until_caught_up(conn, config)
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            report = verify_store(
                conn, config.events_table, config.checkpoint_dir, {key_id(public): public}
            )
        rows = conn.execute(
            "SELECT position, notification_id, event_hash, chain_hash FROM integrity.chain"
            " ORDER BY position"
        ).fetchall()
    assert report.ok, report.first_problem
    return rows, report.anchored_position


def balances(url: str) -> tuple:
    with psycopg.connect(url, autocommit=True) as conn:
        return trial_balance(conn), account_balances(conn)


class Pipeline:
    """The relay into Kafka and every projector consuming it, in threads."""

    def __init__(self, url: str, store, bootstrap: str, topic: str) -> None:
        self.stopping = threading.Event()
        relay = Relay(store, url, bootstrap, topic, partitions=2, batch_size=100, poll_s=0.02)
        self.threads = [threading.Thread(target=relay.run, args=(self.stopping,), daemon=True)]

        def published():
            with psycopg.connect(url, autocommit=True) as conn:
                return published_positions(conn)

        for name, projector in PROJECTORS.items():
            consumer = KafkaConsumer(
                topic,
                bootstrap_servers=bootstrap,
                group_id=f"erasure.{topic}.{name}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=6000,
                heartbeat_interval_ms=500,
                max_poll_interval_ms=10000,
            )
            self.threads.append(
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
                        self.stopping,
                    ),
                    kwargs={"idle_polls_before_reconcile": 10_000},
                    daemon=True,
                )
            )
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=20)


@pytest.fixture
def isolated():
    with throwaway_database("ledger_erasure") as url:
        # Small pools: the test database server is shared with other suites.
        store = open_store(url, personal_data_key=TEST_MASTER_KEY, pool_size=3)
        with psycopg.connect(url, autocommit=True) as conn:
            create_read_models(conn)
            ensure_relay_tables(conn)
            ensure_auth_tables(conn)
        pool = ConnectionPool(url, min_size=1, max_size=2, kwargs={"autocommit": True}, open=True)
        services = ApiServices(
            store=store,
            read_pool=pool,
            auth=AuthServices(
                config=AuthConfig(),
                sessions=PostgresSessionStore(pool),
                throttle=PostgresThrottle(pool),
                box=FernetBox(TEST_SECRET_KEY),
            ),
        )
        try:
            with TestClient(create_app(services)) as client:
                yield url, store, client
        finally:
            pool.close()
            store.close()


def test_erasing_a_customer_leaves_its_personal_data_nowhere(
    isolated, broker, capsys, caplog, tmp_path
):
    url, store, client = isolated
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(),
    )
    caplog.set_level(logging.DEBUG)
    logging.getLogger("kafka").setLevel(logging.INFO)  # protocol chatter: ciphertext at most
    topic = f"ledger.erasure.{uuid.uuid4().hex[:8]}"
    tenant = new_reseller(store, roles=(Role.ADMIN,))
    admin = tenant.headers()
    isp = {"Authorization": f"Bearer {isp_token(store)}"}
    erased_pii, kept_pii, former_pii, contact_pii = canaries(), canaries(), canaries(), canaries()

    def create(pii: dict[str, str], key: str):
        body = {"customer_type": "person", "city": "Lagos", "reseller_id": tenant.number, **pii}
        return client.post(
            "/reseller/api/customers", json=body, headers={**admin, "Idempotency-Key": key}
        )

    created = create(former_pii, "create-erased")
    assert created.status_code == 201, created.text
    customer_id = created.json()["customer_id"]
    assert created.json()["email"] == former_pii["email"]
    # A correction: the profile now holds erased_pii; the former values stay in its history.
    corrected = client.patch(
        f"/reseller/api/customers/{customer_id}",
        json=erased_pii,
        headers={**admin, "If-Match": str(created.json()["version"])},
    )
    assert corrected.status_code == 200, corrected.text
    assert {k: corrected.json()[k] for k in erased_pii} == erased_pii
    # A contact of the customer: its personal data is the customer's, erased with it.
    kind = client.post(
        "/reseller/api/contact-types",
        json={"name": "accountant", "label": "Accountant"},
        headers=isp,
    )
    assert kind.status_code == 201, kind.text
    contact = client.post(
        f"/reseller/api/customers/{customer_id}/contacts",
        json={
            "contact_type": "accountant",
            "name": contact_pii["first_name"],
            "email": contact_pii["email"],
            "phone": contact_pii["phone"],
            "notices": ["invoice_issued"],
        },
        headers=admin,
    )
    assert contact.status_code == 201, contact.text
    contact_pii = {k: contact_pii[k] for k in ("first_name", "email", "phone")}
    assert create(kept_pii, "create-kept").status_code == 201
    record_customer_payment(
        store,
        context(reseller_principal(tenant.number)),
        uuid.UUID(customer_id),
        CustomerPayment(amount=Decimal("12.34"), currency="USD", method="cash"),
    )
    for status in ("active", "inactive"):
        moved = client.post(
            f"/reseller/api/customers/{customer_id}/status", json={"status": status}, headers=admin
        )
        assert moved.status_code == 200, moved.text

    pipeline = Pipeline(url, store, broker.bootstrap, topic)
    try:
        wait_until_caught_up(url, store, timeout_s=60)

        # Before erasure: authorised users see the plaintext; only ciphertext travels.
        shown = client.get(f"/reseller/api/customers/{customer_id}", headers=admin).json()
        assert {k: shown[k] for k in erased_pii} == erased_pii
        found = client.get(
            "/reseller/api/customers", params={"q": erased_pii["email"]}, headers=admin
        ).json()
        assert [c["customer_id"] for c in found["items"]] == [customer_id]
        on_kafka = topic_bytes(broker.bootstrap, topic)
        assert b"sealed_personal" in on_kafka and shown["portal_id"].encode() in on_kafka
        assert leaked(on_kafka, erased_pii) == []
        assert leaked(on_kafka, former_pii) == []
        assert leaked(on_kafka, contact_pii) == []
        assert leaked(on_kafka, kept_pii) == []
        # Contacts are in no read model, the audit trail included (it withholds their fields).
        assert leaked(read_model_text(url), contact_pii) == []
        # The scans can see: the read model (and so the dump) holds the plaintext for now, and
        # the events table's bytea comes out of pg_dump as hex, which the needles include.
        dump = pg_dump(url)
        assert leaked(dump, erased_pii) and leaked(read_model_text(url), erased_pii)
        assert shown["portal_id"].encode().hex().encode() in dump
        events_before = stored_events(url)
        chain_config = ChainerConfig(
            events_table=events_table(store),
            checkpoint_dir=tmp_path / "checkpoints",
            signing_key=Ed25519PrivateKey.generate(),
            batch_size=500,
            checkpoint_every_events=1,
            checkpoint_every_s=3600,
        )
        chain_before, anchored_before = chain_and_verify(url, chain_config)
        assert anchored_before == len(events_before)
        balances_before = balances(url)
        assert balances_before[0] and all(v == 0 for v in balances_before[0].values())

        # Erasure: the master ISP only, a closed customer only, idempotent.
        path = f"/reseller/api/customers/{customer_id}/erase"
        reason = {"reason": "erasure request ER-1"}
        assert client.post(path, json=reason, headers=admin).status_code == 403
        erased = client.post(path, json=reason, headers=isp)
        assert erased.status_code == 200, erased.text
        assert erased.json()["personal_data_erased"] is True
        assert {erased.json()[k] for k in erased_pii} == {ERASED}
        again = client.post(path, json=reason, headers=isp)
        assert again.status_code == 200 and again.json() == erased.json()
        events_after = stored_events(url)
        assert len(events_after) == len(events_before) + 1  # one PersonalDataErased, once
        wait_until_caught_up(url, store, timeout_s=60)

        # After: placeholders in the API, the replayed creation is gone, the other customer kept.
        shown = client.get(f"/reseller/api/customers/{customer_id}", headers=admin).json()
        assert {shown[k] for k in erased_pii} == {ERASED}
        contacts = client.get(f"/reseller/api/customers/{customer_id}/contacts", headers=admin)
        [erased_contact] = contacts.json()["items"]
        assert {erased_contact[k] for k in ("name", "email", "phone")} == {ERASED}
        assert erased_contact["notices"] == ["invoice_issued"]
        found = client.get(
            "/reseller/api/customers", params={"q": erased_pii["email"]}, headers=admin
        ).json()
        assert found["items"] == []
        replay = create(former_pii, "create-erased")
        assert replay.status_code == 410, replay.text
        kept = client.get(
            "/reseller/api/customers", params={"q": kept_pii["email"]}, headers=admin
        ).json()
        assert {k: kept["items"][0][k] for k in kept_pii} == kept_pii

        # Nowhere: the database dump, the topic (raw bytes), the read models, the logs.
        dump = pg_dump(url)
        assert leaked(dump, erased_pii) == []
        assert leaked(dump, former_pii) == []
        assert leaked(dump, contact_pii) == []
        assert leaked(dump, kept_pii) != []  # the kept customer's read-model row
        on_kafka = topic_bytes(broker.bootstrap, topic)
        assert b"PersonalDataErased" in on_kafka
        assert leaked(on_kafka, erased_pii) == []
        assert leaked(on_kafka, former_pii) == []
        assert leaked(on_kafka, contact_pii) == []
        assert leaked(read_model_text(url), erased_pii) == []
        assert leaked(read_model_text(url), former_pii) == []
        assert leaked(read_model_text(url), contact_pii) == []
    finally:
        pipeline.stop()

    # History unchanged: every stored event byte for byte, the trial balance and balances.
    assert events_after[: len(events_before)] == events_before
    assert balances(url) == balances_before
    # The tamper-evidence chain still verifies, its links before the erasure are unchanged, and
    # the erasure event is simply the next link.
    chain_after, anchored_after = chain_and_verify(url, chain_config)
    assert chain_after[: len(chain_before)] == chain_before
    assert anchored_after == len(stored_events(url)) > len(events_before)
    # A rebuild from the store (keys gone) equals the Kafka-fed live read models.
    assert_projections_equal_rebuild(url, store, require_rows=False)
    # The aggregates still load, now and as of before the erasure, with placeholders.
    customer = store.repository.get(uuid.UUID(customer_id))
    assert isinstance(customer, Customer) and customer.personal_data_erased
    first = store.repository.get(uuid.UUID(customer_id), version=1)
    assert first.email.erased and first.email.shown() == ERASED
    account = store.repository.get(customer_account_id(uuid.UUID(customer_id)))
    assert isinstance(account, CustomerAccount)

    captured = capsys.readouterr()
    logs = (captured.out + captured.err + caplog.text).encode()
    assert b"relay.active" in logs  # the capture works
    assert leaked(logs, erased_pii) == []
    assert leaked(logs, former_pii) == []
    assert leaked(logs, contact_pii) == []
    assert leaked(logs, kept_pii) == []
    structlog.reset_defaults()
    assert json.loads(erased.text)["customer_id"] == customer_id
