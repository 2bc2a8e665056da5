"""Idempotency-Key: a repeat returns the first response, byte for byte, and applies once."""

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.api.helpers import assert_problem, seed_customer


def count_customers(client, tenant):
    return client.get(
        "/reseller/api/customers",
        params={"wait_for_position": client.get("/readyz").json()["position"]},
        headers=tenant.headers(),
    ).json()["total"]


def test_sequential_repeats_apply_once_and_answer_the_same(client, tenant, store):
    headers = tenant.headers(**{"Idempotency-Key": str(uuid.uuid4())})
    body = seed_customer(tenant.number)
    first = client.post("/reseller/api/customers", json=body, headers=headers)
    head = store.recorder.max_notification_id()
    again = [client.post("/reseller/api/customers", json=body, headers=headers) for _ in range(3)]
    assert first.status_code == 201
    for response in again:
        assert response.status_code == 201
        assert response.content == first.content
        assert response.headers["Idempotent-Replayed"] == "true"
    assert store.recorder.max_notification_id() == head
    assert count_customers(client, tenant) == 1


def test_concurrent_repeats_apply_once_and_answer_the_same(client, tenant, store):
    key = str(uuid.uuid4())
    url = f"/reseller/api/resellers/{tenant.number}/credit-account/payments"
    body = {"amount": "25.00", "currency": "USD", "method": "bank_transfer", "reference": "T1"}

    def pay(_):
        return client.post(url, json=body, headers=tenant.headers(**{"Idempotency-Key": key}))

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(pay, range(16)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert responses[0].json()["balance"] == "-25.00"
    account = client.get(
        "/reseller/api/credit-account",
        params={"wait_for_position": store.recorder.max_notification_id()},
        headers=tenant.headers(),
    ).json()
    assert account["paid_total"] == "25.00"
    assert account["version"] == 2


def test_same_key_with_a_different_body_is_refused(client, tenant, store):
    headers = tenant.headers(**{"Idempotency-Key": str(uuid.uuid4())})
    client.post("/reseller/api/customers", json=seed_customer(tenant.number), headers=headers)
    head = store.recorder.max_notification_id()
    other = client.post(
        "/reseller/api/customers",
        json=seed_customer(tenant.number, first_name="Jane"),
        headers=headers,
    )
    assert_problem(other, 422, "Idempotency-Key")
    assert store.recorder.max_notification_id() == head


def test_keys_are_scoped_to_the_caller(client, tenant, other_tenant):
    key = str(uuid.uuid4())
    mine = client.post(
        "/reseller/api/customers",
        json=seed_customer(tenant.number),
        headers=tenant.headers(**{"Idempotency-Key": key}),
    )
    theirs = client.post(
        "/reseller/api/customers",
        json=seed_customer(other_tenant.number),
        headers=other_tenant.headers(**{"Idempotency-Key": key}),
    )
    assert theirs.status_code == 201
    assert theirs.json()["reseller_id"] == other_tenant.number
    assert theirs.json()["customer_id"] != mine.json()["customer_id"]
