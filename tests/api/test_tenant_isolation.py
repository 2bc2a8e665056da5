"""A token of reseller A can neither read nor change anything of reseller B."""

from tests.api.helpers import assert_problem, position, seed_customer


def test_a_cannot_see_or_touch_b(client, tenant, other_tenant, store):
    a, b = tenant, other_tenant
    theirs = client.post(
        "/reseller/api/customers", json=seed_customer(b.number), headers=b.headers()
    )
    mine = client.post("/reseller/api/customers", json=seed_customer(a.number), headers=a.headers())
    customer_id = theirs.json()["customer_id"]
    wait = {"wait_for_position": max(position(theirs), position(mine))}
    head = store.recorder.max_notification_id()

    assert_problem(client.get(f"/reseller/api/customers/{customer_id}", headers=a.headers()), 404)
    assert_problem(
        client.post(
            f"/reseller/api/customers/{customer_id}/status",
            json={"status": "active"},
            headers=a.headers(),
        ),
        404,
    )
    listed = client.get("/reseller/api/customers", params=wait, headers=a.headers()).json()
    assert customer_id not in {c["customer_id"] for c in listed["items"]}
    assert {c["reseller_id"] for c in listed["items"]} == {a.number}
    assert_problem(
        client.get(
            "/reseller/api/customers", params={"reseller_id": b.number}, headers=a.headers()
        ),
        404,
    )
    assert_problem(
        client.post("/reseller/api/customers", json=seed_customer(b.number), headers=a.headers()),
        404,
    )
    assert_problem(
        client.get(
            "/reseller/api/credit-account", params={"reseller_id": b.number}, headers=a.headers()
        ),
        404,
    )
    assert_problem(
        client.post(
            f"/reseller/api/resellers/{b.number}/credit-account/payments",
            json={"amount": "1.00", "currency": "USD", "method": "cash"},
            headers=a.headers(),
        ),
        404,
    )
    assert_problem(client.get(f"/reseller/api/resellers/{b.number}", headers=a.headers()), 404)
    assert_problem(
        client.get(
            "/reseller/api/ledger/trial-balance",
            params={"reseller_id": b.number},
            headers=a.headers(),
        ),
        404,
    )
    assert store.recorder.max_notification_id() == head
    b_view = client.get(f"/reseller/api/customers/{customer_id}", headers=b.headers())
    assert b_view.status_code == 200


def test_isp_admin_acts_across_tenants(client, tenant, isp_headers):
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=isp_headers
    )
    assert created.status_code == 201
    assert created.json()["reseller_id"] == tenant.number
    assert_problem(
        client.post("/reseller/api/customers", json=seed_customer(None), headers=isp_headers),
        422,
        "reseller_id",
    )


def test_only_the_isp_creates_resellers_and_charges(client, tenant):
    body = {"reseller_code": "NOPE", "name": "x", "country": "NG", "currency": "USD"}
    assert_problem(client.post("/reseller/api/resellers", json=body, headers=tenant.headers()), 403)
    assert_problem(
        client.post(
            f"/reseller/api/resellers/{tenant.number}/credit-account/charges",
            json={"amount": "1.00", "currency": "USD", "description": "x"},
            headers=tenant.headers(),
        ),
        403,
    )
