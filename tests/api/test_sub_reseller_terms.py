"""A parent reconfigures a sub-reseller later (issue 13, seed §11.2): within the parent's
bounds, never below what the child already uses, never by the child itself."""

from __future__ import annotations

from typing import Any

from domain.access.roles import Role
from tests.api.helpers import assert_problem, seed_customer
from tests.support.builders import new_reseller


def family(client: Any, store: Any) -> tuple[Any, dict[str, Any]]:
    parent = new_reseller(
        store, roles=(Role.ADMIN, Role.READONLY), credit_limit="5000.00", customer_limit=10
    )
    enabled = client.patch(
        "/reseller/api/settings/security",
        json={"manage_sub_resellers": True},
        headers=parent.headers(),
    )
    assert enabled.status_code == 200, enabled.text
    created = client.post(
        "/reseller/api/sub-resellers",
        json={
            "parent_reseller_id": parent.number,
            "name": "Regional ABC Partner",
            "commission_percent": "8.00",
            "customer_limit": 5,
            "allowed_services": ["internet", "voice"],
            "inherited_branding": True,
        },
        headers=parent.headers(),
    )
    assert created.status_code == 201, created.text
    return parent, created.json()


def test_a_parent_changes_its_childs_terms_and_the_child_sees_them(client, store):
    parent, child = family(client, store)
    path = f"/reseller/api/sub-resellers/{child['reseller_id']}"
    changed = client.patch(
        path,
        json={"commission_percent": "6.50", "allowed_services": ["internet"]},
        headers={**parent.headers(), "If-Match": str(child["version"])},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["commission_percent"], body["allowed_services"]) == ("6.50", ["internet"])
    assert (body["customer_limit"], body["inherited_branding"]) == (5, True)
    assert body["version"] == child["version"] + 1
    shown = client.get(f"/reseller/api/resellers/{child['reseller_id']}", headers=parent.headers())
    assert shown.json()["commission_percent"] == "6.50"
    stale = client.patch(
        path,
        json={"customer_limit": 4},
        headers={**parent.headers(), "If-Match": str(child["version"])},
    )
    assert_problem(stale, 412, "If-Match")
    same = client.patch(path, json={"commission_percent": "6.50"}, headers=parent.headers())
    assert same.status_code == 200 and same.json()["version"] == body["version"]


def test_the_new_terms_stay_within_the_parents_and_above_what_the_child_uses(client, store):
    parent, child = family(client, store)
    number = child["reseller_id"]
    path = f"/reseller/api/sub-resellers/{number}"
    # The child's own customers and its own sub-reseller.
    child_admin = client.post(
        "/reseller/api/tokens",
        json={"label": "child", "role": "admin", "reseller_id": number},
        headers=parent.headers(),
    )
    assert child_admin.status_code == 201, child_admin.text
    child_headers = {"Authorization": f"Bearer {child_admin.json()['token']}"}
    for i in range(3):
        made = client.post(
            "/reseller/api/customers",
            json=seed_customer(number, email=f"t{i}@example.com"),
            headers=child_headers,
        )
        assert made.status_code == 201, made.text
    grandchild = client.post(
        "/reseller/api/sub-resellers",
        json={
            "parent_reseller_id": number,
            "name": "Local",
            "commission_percent": "5.00",
            "customer_limit": 2,
            "allowed_services": ["voice"],
        },
        headers=child_headers,
    )
    assert grandchild.status_code == 201, grandchild.text

    def patch(body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return client.patch(path, json=body, headers=headers or parent.headers())

    below = patch({"customer_limit": 2})
    assert_problem(below, 409, "customer_limit")
    assert "3 customers" in below.json()["detail"]
    assert_problem(patch({"commission_percent": "4.00"}), 409, "commission_percent")
    assert_problem(patch({"allowed_services": ["internet"]}), 409, "allowed_services")
    assert_problem(patch({"customer_limit": None}), 422, "customer_limit")  # the parent's is 10
    assert_problem(patch({"customer_limit": 11}), 422, "customer_limit")
    assert_problem(patch({"commission_percent": "90.00"}), 422, "commission_percent")
    assert_problem(patch({"inherited_branding": None}), 422, "inherited_branding")
    # The child can't raise its own rate (its parent is out of its reach), nor a readonly
    # member of the parent change it.
    assert_problem(patch({"commission_percent": "8.00"}, child_headers), 404)
    assert_problem(patch({"customer_limit": 3}, parent.headers(Role.READONLY)), 403)
    fine = patch({"customer_limit": 3, "commission_percent": "5.00"})
    assert fine.status_code == 200, fine.text
    assert (fine.json()["customer_limit"], fine.json()["commission_percent"]) == (3, "5.00")
