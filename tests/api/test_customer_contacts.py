"""A customer's contacts (issue 13, seed §3.1 and §15.1): any number, of the ISP's types or of a
reseller's own approved ones (inherited by its sub-resellers), with roles and notice routing;
personal data encrypted under the customer's key."""

from __future__ import annotations

import uuid
from typing import Any

from domain.access.roles import Role
from domain.customers.contacts import CustomerContacts, customer_contacts_id
from tests.api.helpers import assert_problem, seed_customer
from tests.support.builders import new_reseller

TYPES = "/reseller/api/contact-types"


def unique_type(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def define_type(client: Any, isp_headers: dict[str, str], label: str = "Accountant") -> str:
    name = unique_type("accountant")
    defined = client.post(TYPES, json={"name": name, "label": label}, headers=isp_headers)
    assert defined.status_code == 201, defined.text
    assert {"name": name, "label": label} in defined.json()["types"]
    return name


def new_customer(client: Any, tenant: Any) -> str:
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    )
    assert created.status_code == 201, created.text
    return str(created.json()["customer_id"])


def test_contacts_of_the_isps_types_are_added_replaced_and_removed(
    client, tenant, isp_headers, store
):
    kind = define_type(client, isp_headers)
    customer_id = new_customer(client, tenant)
    path = f"/reseller/api/customers/{customer_id}/contacts"
    assert client.get(path, headers=tenant.headers(Role.READONLY)).json()["items"] == []

    added = client.post(
        path,
        json={
            "contact_type": kind,
            "name": "Ada Bookkeeper",
            "email": "Ada@Books.example",
            "roles": ["billing", "primary"],
            "notices": ["invoice_issued", "payment_received"],
        },
        headers=tenant.headers(Role.MANAGER),
    )
    assert added.status_code == 201, added.text
    [contact] = added.json()["items"]
    assert contact["email"] == "ada@books.example"
    assert contact["roles"] == ["billing", "primary"]
    second = client.post(
        path,
        json={"contact_type": kind, "phone": "+2348000000001", "roles": ["technical"]},
        headers=tenant.headers(),
    )
    assert second.status_code == 201 and len(second.json()["items"]) == 2

    stored = store.repository.get(customer_contacts_id(uuid.UUID(customer_id)))
    assert isinstance(stored, CustomerContacts)
    assert stored.routed("invoice_issued") == [contact["contact_id"]]
    assert stored.routed("service_suspended") == [contact["contact_id"]]  # the primary one
    rows = store.recorder.select_notifications(start=1, limit=1_000_000)
    assert not any(b"books.example" in n.state for n in rows if n.originator_id == stored.id)

    replaced = client.put(
        f"{path}/{contact['contact_id']}",
        json={"contact_type": kind, "name": "Ada Ledger", "roles": ["billing"]},
        headers=tenant.headers(),
    )
    assert replaced.status_code == 200, replaced.text
    shown = {c["contact_id"]: c for c in replaced.json()["items"]}[contact["contact_id"]]
    assert (shown["name"], shown["email"], shown["notices"]) == ("Ada Ledger", None, [])
    removed = client.delete(f"{path}/{contact['contact_id']}", headers=tenant.headers())
    assert removed.status_code == 200, removed.text
    others = {c["contact_id"] for c in second.json()["items"]} - {contact["contact_id"]}
    assert {c["contact_id"] for c in removed.json()["items"]} == others
    gone = client.delete(f"{path}/{contact['contact_id']}", headers=tenant.headers())
    assert_problem(gone, 404)


def test_a_contact_is_refused_what_it_cannot_be(client, tenant, other_tenant, isp_headers):
    kind = define_type(client, isp_headers)
    customer_id = new_customer(client, tenant)
    path = f"/reseller/api/customers/{customer_id}/contacts"

    def add(body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return client.post(path, json=body, headers=headers or tenant.headers())

    assert_problem(add({"contact_type": "no_such_type", "name": "X"}), 422, "contact_type")
    assert_problem(add({"contact_type": kind}), 422, "name")
    assert_problem(add({"contact_type": kind, "name": "X", "roles": ["boss"]}), 422, "roles")
    assert_problem(add({"contact_type": kind, "name": "X", "notices": ["welcome"]}), 422, "notices")
    assert_problem(add({"contact_type": kind, "email": "nope"}), 422, "email")
    assert_problem(add({"contact_type": kind, "name": "X", "status": "vip"}), 422, "status")
    assert (
        add({"contact_type": kind, "name": "X"}, tenant.headers(Role.READONLY)).status_code == 403
    )
    assert_problem(add({"contact_type": kind, "name": "X"}, other_tenant.headers()), 404)
    assert client.get(path, headers=tenant.headers()).json()["items"] == []


def test_a_resellers_own_type_is_usable_once_approved_and_its_children_inherit_it(
    client, store, isp_headers
):
    parent = new_reseller(store, roles=(Role.ADMIN,))
    child = new_reseller(store, roles=(Role.ADMIN,), parent=parent.number)
    kind = unique_type("site_manager")
    requested = client.post(
        f"{TYPES}/requests", json={"name": kind, "label": "Site manager"}, headers=parent.headers()
    )
    assert requested.status_code == 201, requested.text
    assert requested.json()["requests"] == [
        {"reseller_id": parent.number, "name": kind, "label": "Site manager", "status": "requested"}
    ]
    again = client.post(
        f"{TYPES}/requests", json={"name": kind, "label": "Again"}, headers=parent.headers()
    )
    assert_problem(again, 409, "name")
    child_customer = new_customer(client, child)
    contact = {"contact_type": kind, "name": "On site"}
    path = f"/reseller/api/customers/{child_customer}/contacts"
    assert_problem(client.post(path, json=contact, headers=child.headers()), 422, "contact_type")

    decision = f"{TYPES}/requests/{parent.number}/{kind}/decision"
    assert (
        client.post(decision, json={"approved": True}, headers=parent.headers()).status_code == 403
    )
    approved = client.post(decision, json={"approved": True}, headers=isp_headers)
    assert approved.status_code == 200, approved.text
    assert {"name": kind, "label": "Site manager"} in approved.json()["types"]
    assert_problem(client.post(decision, json={"approved": False}, headers=isp_headers), 409)
    listed = client.get(TYPES, headers=child.headers()).json()
    assert kind in {t["name"] for t in listed["types"]}
    assert listed["requests"] == []  # the parent's requests are the parent's
    added = client.post(path, json=contact, headers=child.headers())
    assert added.status_code == 201, added.text

    other = new_reseller(store, roles=(Role.ADMIN,))
    assert kind not in {
        t["name"] for t in client.get(TYPES, headers=other.headers()).json()["types"]
    }
