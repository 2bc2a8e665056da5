"""The subject keyring against real PostgreSQL: per-subject keys, wrapped, erased for good; the
stored events of customers and team members hold ciphertext only; `ledger admin
erase-customer` erases from the command line."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from domain.customers.customer import Customer
from infra.event_store import EVENTS_TABLE
from infra.privacy import SubjectErased, SubjectKeyring
from tests.support.builders import context, new_reseller, new_user
from tests.support.privacy import PRIVACY_ENV, TEST_MASTER_KEY

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def keyring(database_url):
    ring = SubjectKeyring(database_url, TEST_MASTER_KEY, pool_size=2)
    yield ring
    ring.close()


def test_sealed_text_opens_only_for_its_subject_and_never_after_erasure(database_url, keyring):
    ada, bob = uuid.uuid4(), uuid.uuid4()
    sealed = keyring.seal(ada, "Ada Lovelace")
    assert "Ada" not in sealed and sealed != keyring.seal(ada, "Ada Lovelace")  # fresh nonce
    assert keyring.unseal(ada, sealed) == "Ada Lovelace"
    keyring.seal(bob, "Bob")
    with pytest.raises(ValueError):
        keyring.unseal(bob, sealed)  # bound to its subject
    # Another process (its own cache) shares the stored key; a wrong master key cannot unwrap.
    other = SubjectKeyring(database_url, TEST_MASTER_KEY, pool_size=1)
    wrong = SubjectKeyring(database_url, b"\x01" * 32, pool_size=1)
    try:
        assert other.unseal(ada, sealed) == "Ada Lovelace"
        with pytest.raises(ValueError, match="unwrapped"):
            wrong.unseal(ada, sealed)
        keyring.erase(ada)
        keyring.erase(ada)  # idempotent
        assert keyring.unseal(ada, sealed) is None
        other.forget(ada)
        assert other.unseal(ada, sealed) is None
        with pytest.raises(SubjectErased):
            other.seal(ada, "again")  # no key is ever made for an erased subject
        assert keyring.unseal(bob, keyring.seal(bob, "Bob")) == "Bob"
    finally:
        other.close()
        wrong.close()
    with psycopg.connect(database_url) as conn:
        keys = conn.execute(
            "SELECT subject_id FROM privacy.subject_keys WHERE subject_id = ANY(%s)", ([ada, bob],)
        ).fetchall()
    assert [row[0] for row in keys] == [bob]


def test_stored_events_of_customers_and_users_hold_no_plaintext(store, database_url):
    tenant = new_reseller(store)
    tag = uuid.uuid4().hex[:10]
    created = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person",
            first_name=f"first{tag}",
            last_name=f"last{tag}",
            email=f"mail{tag}@example.com",
            reseller_id=tenant.number,
        ),
    )
    customer_id = uuid.UUID(json.loads(created.body)["customer_id"])
    username = f"user{tag}"
    user_id = uuid.UUID(new_user(store, tenant.number, username))
    with psycopg.connect(database_url) as conn:
        states = conn.execute(
            f"SELECT state FROM {EVENTS_TABLE} WHERE originator_id = ANY(%s)",
            ([customer_id, user_id],),
        ).fetchall()
    stored = b"".join(bytes(row[0]) for row in states)
    assert b"sealed" not in stored and b"ciphertext" in stored
    assert tag.encode() in stored  # the username stays in clear (the login identifier)...
    assert f"mail{tag}".encode() not in stored and f"first{tag}".encode() not in stored
    assert f"{username}@example.com".encode() not in stored  # ...its e-mail does not
    loaded = store.repository.get(customer_id)
    assert isinstance(loaded, Customer) and loaded.email.text == f"mail{tag}@example.com"
    assert store.repository.get(user_id).email.text == f"{username}@example.com"


def test_the_cli_erases_a_closed_customer(store, database_url):
    tenant = new_reseller(store)
    created = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person", first_name="Cli", last_name="Erased", reseller_id=tenant.number
        ),
    )
    customer_id = json.loads(created.body)["customer_id"]

    def erase(*args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
        env |= {"LEDGER_DATABASE_URL": database_url, "LEDGER_LOG_LEVEL": "WARNING", **PRIVACY_ENV}
        return subprocess.run(
            [sys.executable, "-m", "infra.cli", "admin", "erase-customer", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = erase(customer_id)
    assert refused.returncode == 2 and "inactive" in refused.stderr
    change_customer_status(
        store, context(), uuid.UUID(customer_id), ChangeCustomerStatus(status="inactive")
    )
    done = erase(customer_id, "--reason", "ticket 7")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["personal_data_erased"] is True and body["last_name"] == "[erased]"
    store.personal_data.forget(uuid.UUID(customer_id))  # another process erased it
    assert store.repository.get(uuid.UUID(customer_id)).last_name.erased
