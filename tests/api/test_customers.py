"""Customers through the API: the seed's JSON, the list, search, filters, paging, statuses."""

from domain.access.roles import Role
from tests.api.helpers import assert_problem, position, seed_customer


def test_create_with_the_seed_json_and_read_it_back(client, tenant):
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["portal_id"] == f"{tenant.code}-000001"
    assert body["status"] == "new"
    assert body["reseller_id"] == tenant.number
    listed = client.get(
        "/reseller/api/customers",
        params={"wait_for_position": position(created)},
        headers=tenant.headers(Role.READONLY),
    ).json()
    assert listed["position_reached"] is True
    assert [c["portal_id"] for c in listed["items"]] == [body["portal_id"]]
    assert listed["items"][0]["email"] == "john@example.com"
    one = client.get(f"/reseller/api/customers/{body['customer_id']}", headers=tenant.headers())
    assert one.status_code == 200
    assert one.json()["city"] == "Lagos"


def test_portal_ids_are_unique_and_sequential(client, tenant):
    ids = [
        client.post(
            "/reseller/api/customers",
            json=seed_customer(tenant.number, email=f"c{i}@example.com"),
            headers=tenant.headers(Role.MANAGER),
        ).json()["portal_id"]
        for i in range(3)
    ]
    assert ids == [f"{tenant.code}-{n:06d}" for n in (1, 2, 3)]


def test_search_filter_and_paging(client, tenant):
    names = [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")]
    last = None
    for first, last_name in names:
        last = client.post(
            "/reseller/api/customers",
            json=seed_customer(
                tenant.number,
                first_name=first,
                last_name=last_name,
                email=f"{first.lower()}@example.com",
            ),
            headers=tenant.headers(),
        )
    turing = client.get(
        "/reseller/api/customers",
        params={"q": "turing", "wait_for_position": position(last)},
        headers=tenant.headers(),
    ).json()
    assert [c["last_name"] for c in turing["items"]] == ["Turing"]
    by_email = client.get(
        "/reseller/api/customers", params={"q": "grace@"}, headers=tenant.headers()
    ).json()
    assert [c["first_name"] for c in by_email["items"]] == ["Grace"]
    by_portal = client.get(
        "/reseller/api/customers", params={"q": f"{tenant.code}-000002"}, headers=tenant.headers()
    ).json()
    assert [c["first_name"] for c in by_portal["items"]] == ["Alan"]
    page = client.get(
        "/reseller/api/customers", params={"limit": 2, "offset": 2}, headers=tenant.headers()
    ).json()
    assert (page["total"], len(page["items"]), page["items"][0]["first_name"]) == (3, 1, "Grace")
    assert (
        client.get(
            "/reseller/api/customers", params={"limit": 10_000}, headers=tenant.headers()
        ).json()["limit"]
        == 100
    )
    wildcard = client.get(
        "/reseller/api/customers", params={"q": "%"}, headers=tenant.headers()
    ).json()
    assert wildcard["total"] == 0


def test_status_lifecycle_and_filter(client, tenant):
    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()
    url = f"/reseller/api/customers/{customer['customer_id']}/status"
    activated = client.post(url, json={"status": "active"}, headers=tenant.headers())
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    suspended = client.post(
        url,
        json={"status": "suspended", "reason": "unpaid"},
        headers=tenant.headers(),
    )
    assert suspended.json()["version"] == 3
    back_to_new = client.post(url, json={"status": "new"}, headers=tenant.headers())
    assert_problem(back_to_new, 422, "status")
    listed = client.get(
        "/reseller/api/customers",
        params={"status": "suspended", "wait_for_position": position(suspended)},
        headers=tenant.headers(),
    ).json()
    assert [c["customer_id"] for c in listed["items"]] == [customer["customer_id"]]
    assert listed["items"][0]["version"] == 3


def test_if_match_guards_against_lost_updates(client, tenant):
    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()
    url = f"/reseller/api/customers/{customer['customer_id']}/status"
    ok = client.post(url, json={"status": "active"}, headers=tenant.headers(**{"If-Match": "1"}))
    assert ok.status_code == 200
    stale = client.post(
        url, json={"status": "suspended"}, headers=tenant.headers(**{"If-Match": "1"})
    )
    assert_problem(stale, 412, "If-Match")


def test_roles_are_enforced(client, tenant):
    readonly = client.post(
        "/reseller/api/customers",
        json=seed_customer(tenant.number),
        headers=tenant.headers(Role.READONLY),
    )
    assert_problem(readonly, 403)
    user = client.post(
        "/reseller/api/customers",
        json=seed_customer(tenant.number),
        headers=tenant.headers(Role.USER),
    )
    assert_problem(user, 403)
    assert (
        client.get("/reseller/api/customers", headers=tenant.headers(Role.USER)).status_code == 200
    )


def test_requests_without_a_valid_token_are_unauthorized(client):
    assert_problem(client.get("/reseller/api/customers"), 401)
    assert_problem(
        client.get("/reseller/api/customers", headers={"Authorization": "Bearer rl_nope"}), 401
    )
    assert client.get("/reseller/api/customers").headers["WWW-Authenticate"] == "Bearer"
