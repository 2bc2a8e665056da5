"""Correcting a customer's profile (issue 13): only the fields sent change, If-Match guards
against overwriting an edit not yet seen, and each change is one event naming its fields."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from domain.access.roles import Role
from domain.customers.customer import Customer
from tests.api.helpers import assert_problem, position, seed_customer


def new_customer(client: Any, tenant: Any, **overrides: Any) -> dict[str, Any]:
    created = client.post(
        "/reseller/api/customers",
        json=seed_customer(tenant.number, **overrides),
        headers=tenant.headers(),
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def patch(client: Any, tenant: Any, customer: dict[str, Any], body: Any, **headers: str) -> Any:
    return client.patch(
        f"/reseller/api/customers/{customer['customer_id']}",
        json=body,
        headers={**tenant.headers(), **headers},
    )


def test_an_edit_changes_only_the_fields_sent_and_the_list_shows_it(client, tenant, store):
    customer = new_customer(client, tenant)
    edited = patch(
        client,
        tenant,
        customer,
        {"city": "Abuja", "email": "John.Doe@Example.com", "address": None},
        **{"If-Match": str(customer["version"])},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["city"], body["email"], body["address"]) == ("Abuja", "john.doe@example.com", None)
    assert (body["first_name"], body["phone"]) == ("John", "+1234567890")
    assert body["version"] == customer["version"] + 1
    shown = client.get(
        f"/reseller/api/customers/{customer['customer_id']}",
        params={"wait_for_position": position(edited)},
        headers=tenant.headers(Role.READONLY),
    ).json()
    assert {k: shown[k] for k in ("city", "email", "address", "version")} == {
        "city": "Abuja",
        "email": "john.doe@example.com",
        "address": None,
        "version": body["version"],
    }
    assert isinstance(store.repository.get(UUID(customer["customer_id"])), Customer)
    history = list(store.repository.event_store.get(UUID(customer["customer_id"])))
    change = history[-1]
    assert type(change).__name__ == "ProfileChanged"
    assert sorted(change.changes) == ["address", "city", "email"]
    assert change.changes["city"] == ["Lagos", "Abuja"]
    assert [v.text for v in change.changes["email"]] == ["john@example.com", "john.doe@example.com"]
    assert change.changes["address"][1] is None


def test_an_edit_that_asks_for_what_is_records_nothing(client, tenant, store):
    customer = new_customer(client, tenant)
    same = patch(client, tenant, customer, {"city": "Lagos", "first_name": " John "})
    assert same.status_code == 200, same.text
    assert same.json()["version"] == customer["version"]
    history = list(store.repository.event_store.get(UUID(customer["customer_id"])))
    assert [type(e).__name__ for e in history] == ["Registered"]


def test_a_stale_if_match_is_a_412_and_changes_nothing(client, tenant, store):
    customer = new_customer(client, tenant)
    first = patch(client, tenant, customer, {"city": "Kano"}, **{"If-Match": "1"})
    assert first.status_code == 200, first.text
    stale = patch(client, tenant, customer, {"city": "Ibadan"}, **{"If-Match": "1"})
    assert_problem(stale, 412, "If-Match")
    loaded = store.repository.get(UUID(customer["customer_id"]))
    assert (loaded.city, loaded.version) == ("Kano", 2)


def test_concurrent_edits_never_lose_one(client, tenant, store):
    customer = new_customer(client, tenant)
    fields = {
        "city": "Enugu",
        "phone": "+2348012345678",
        "address": "1 Marina",
        "first_name": "Johnny",
        "company_name": "Doe Ltd",
    }
    results: dict[str, int] = {}

    def edit(name: str, value: str) -> None:
        results[name] = patch(client, tenant, customer, {name: value}).status_code

    threads = [threading.Thread(target=edit, args=item) for item in fields.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results.values()) == {200}
    loaded = store.repository.get(UUID(customer["customer_id"]))
    assert loaded.profile() | fields == loaded.profile()
    assert loaded.version == 1 + len(fields)

    # With If-Match on the same version, one wins and the other is told it was too late.
    version = str(loaded.version)
    statuses: list[int] = []

    def guarded(city: str) -> None:
        statuses.append(
            patch(client, tenant, customer, {"city": city}, **{"If-Match": version}).status_code
        )

    racers = [threading.Thread(target=guarded, args=(c,)) for c in ("Jos", "Aba")]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(statuses) == [200, 412]


def test_the_profile_must_stay_valid_and_unknown_fields_are_refused(client, tenant, store):
    customer = new_customer(client, tenant)
    assert_problem(patch(client, tenant, customer, {"last_name": None}), 422, "last_name")
    assert_problem(patch(client, tenant, customer, {"customer_type": None}), 422, "customer_type")
    assert_problem(patch(client, tenant, customer, {"email": "not-an-address"}), 422, "email")
    assert_problem(patch(client, tenant, customer, {"status": "active"}), 422, "status")
    assert_problem(patch(client, tenant, customer, {"city": "x" * 101}), 422, "city")
    assert_problem(patch(client, tenant, customer, {"city": 7}), 422, "city")
    # A company needs its name; turning the person into a company with one is fine.
    assert_problem(
        patch(client, tenant, customer, {"customer_type": "company", "last_name": None}),
        422,
        "company_name",
    )
    company = patch(
        client, tenant, customer, {"customer_type": "company", "company_name": "Doe Ltd"}
    )
    assert company.status_code == 200, company.text
    assert company.json()["customer_type"] == "company"
    history = list(store.repository.event_store.get(UUID(customer["customer_id"])))
    assert [type(e).__name__ for e in history] == ["Registered", "ProfileChanged"]


def test_who_may_edit_and_what_can_no_longer_be_edited(client, tenant, other_tenant):
    customer = new_customer(client, tenant)
    path = f"/reseller/api/customers/{customer['customer_id']}"
    readonly = client.patch(path, json={"city": "Kano"}, headers=tenant.headers(Role.READONLY))
    assert readonly.status_code == 403, readonly.text
    foreign = client.patch(path, json={"city": "Kano"}, headers=other_tenant.headers())
    assert_problem(foreign, 404)
    for status in ("active", "inactive"):
        moved = client.post(f"{path}/status", json={"status": status}, headers=tenant.headers())
        assert moved.status_code == 200, moved.text
    closed = client.patch(path, json={"city": "Kano"}, headers=tenant.headers())
    assert_problem(closed, 422, "status")


def test_an_unknown_query_parameter_is_refused_on_every_read(client, tenant, isp_headers):
    """`city=Abuja` used to be ignored and answer every customer: a parameter a route does not
    take is a 422 naming it, on every route, before anything is read."""
    document = client.app.openapi()
    probes = {"/healthz", "/readyz"}  # liveness probes take no parameters and stay lenient
    reads = [
        path
        for path, operations in document["paths"].items()
        if "get" in operations and path not in probes
    ]
    assert len(reads) > 40
    for path in reads:
        concrete = path
        for name in ("customer_id", "ticket_id", "dispute_id", "file_id", "notification_id"):
            concrete = concrete.replace("{" + name + "}", "00000000-0000-4000-8000-000000000000")
        concrete = concrete.replace("{reseller_id}", str(tenant.number)).replace("{kind}", "sales")
        concrete = concrete.replace("{", "").replace("}", "")
        refused = client.get(concrete, params={"no_such_filter": "Abuja"}, headers=isp_headers)
        assert_problem(refused, 422, "no_such_filter")
    listed = client.get(
        "/reseller/api/customers",
        params={"reseller_id": tenant.number, "status": "new"},
        headers=tenant.headers(),
    )
    assert listed.status_code == 200, listed.text
