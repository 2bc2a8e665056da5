"""Sub-resellers with the seed §11.1 JSON: any depth, rates never above the parent's, customer
limits and allowed services enforced, and a child never reaching up."""

import json

from domain.access.roles import Role
from tests.api.billing_helpers import tariff
from tests.api.helpers import assert_problem, seed_customer
from tests.support.builders import new_reseller

SEED = {
    "parent_reseller_id": 1,
    "name": "Regional ABC Partner",
    "level": 1,
    "commission_percent": 8.00,
    "inherited_branding": True,
    "customer_limit": 500,
    "allowed_services": ["internet", "voice"],
}


def test_the_seed_json_and_the_rules_it_carries(client, store, isp_headers):
    parent = new_reseller(store, roles=(Role.ADMIN,))
    raw = json.dumps({**SEED, "parent_reseller_id": parent.number}).replace("8.0", "8.00")
    created = client.post(
        "/reseller/api/sub-resellers",
        headers={**parent.headers(), "content-type": "application/json"},
        content=raw,
    )
    assert created.status_code == 201, created.text
    child = created.json()
    assert (child["parent_reseller_id"], child["level"], child["commission_percent"]) == (
        parent.number,
        1,
        "8.00",
    )
    assert child["allowed_services"] == ["internet", "voice"]
    assert child["reseller_code"].startswith(parent.code)
    listed = client.get("/reseller/api/sub-resellers", headers=parent.headers()).json()
    assert [c["reseller_id"] for c in listed] == [child["reseller_id"]]
    assert_problem(
        client.post(
            "/reseller/api/sub-resellers",
            headers=parent.headers(),
            json={**SEED, "parent_reseller_id": parent.number, "level": 3},
        ),
        422,
        "level",
    )
    # Any depth: a grandchild under the child, by the ISP (or an admin who manages the child).
    grandchild = client.post(
        "/reseller/api/sub-resellers",
        headers=isp_headers,
        json={
            "parent_reseller_id": child["reseller_id"],
            "name": "Street Partner",
            "level": 2,
            "commission_percent": "5",
            "customer_limit": 10,
            "allowed_services": ["internet"],
        },
    )
    assert grandchild.status_code == 201, grandchild.text
    for bad, field in (
        ({"commission_percent": "9"}, "commission_percent"),
        ({"allowed_services": ["bundle"]}, "allowed_services"),
        ({"customer_limit": 600}, "customer_limit"),
    ):
        refused = client.post(
            "/reseller/api/sub-resellers",
            headers=isp_headers,
            json={"parent_reseller_id": child["reseller_id"], "name": "Too generous", **bad},
        )
        assert_problem(refused, 422, field)


def test_customer_limits_and_allowed_services_are_enforced(client, store, isp_headers):
    parent = new_reseller(store, roles=(Role.ADMIN,))
    child = client.post(
        "/reseller/api/sub-resellers",
        headers=parent.headers(),
        json={
            "parent_reseller_id": parent.number,
            "name": "Tiny",
            "customer_limit": 2,
            "allowed_services": ["voice"],
        },
    ).json()
    number = child["reseller_id"]
    made = [
        client.post("/reseller/api/customers", json=seed_customer(number), headers=isp_headers)
        for _ in range(3)
    ]
    assert [m.status_code for m in made[:2]] == [201, 201]
    assert_problem(made[2], 422, "customer_limit")
    closed = client.post(
        f"/reseller/api/customers/{made[0].json()['customer_id']}/status",
        json={"status": "inactive"},
        headers=isp_headers,
    )
    assert closed.status_code == 200
    assert (
        client.post(
            "/reseller/api/customers", json=seed_customer(number), headers=isp_headers
        ).status_code
        == 201
    )
    child_tenant = type(parent)(number, child["reseller_code"], "USD", {})
    internet = tariff(client, isp_headers, child_tenant, "10.00", "internet")
    refused = client.post(
        f"/reseller/api/customers/{made[1].json()['customer_id']}/services",
        json={"tariff_id": internet},
        headers=isp_headers,
    )
    assert_problem(refused, 422, "tariff_id")
    voice = tariff(client, isp_headers, child_tenant, "5.00", "voice")
    assert (
        client.post(
            f"/reseller/api/customers/{made[1].json()['customer_id']}/services",
            json={"tariff_id": voice},
            headers=isp_headers,
        ).status_code
        == 201
    )


def test_a_child_cannot_create_under_its_parent_or_a_sibling(client, store):
    parent = new_reseller(store, roles=(Role.ADMIN,))
    child = new_reseller(store, roles=(Role.ADMIN,), parent=parent.number)
    sibling = new_reseller(store, roles=(Role.ADMIN,), parent=parent.number)
    for target in (parent.number, sibling.number):
        assert_problem(
            client.post(
                "/reseller/api/sub-resellers",
                headers=child.headers(),
                json={"parent_reseller_id": target, "name": "Sneaky"},
            ),
            404,
        )
    assert (
        client.post(
            "/reseller/api/sub-resellers", headers=child.headers(), json={"name": "Own child"}
        ).status_code
        == 201
    )
