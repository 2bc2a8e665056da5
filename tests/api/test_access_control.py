"""IP whitelists, no escalation, narrow tokens, temporary grants, allowed customers, and
sub-resellers whose parent may (or may not) manage them."""

import uuid
from datetime import timedelta

import pytest

from tests.api.auth_helpers import PASSWORD, add_user, bearer, client_from, fresh_ip, login
from tests.api.helpers import assert_problem, seed_customer
from tests.support.builders import new_reseller


@pytest.fixture
def client(api_services):
    return client_from(api_services, fresh_ip())


def test_ip_whitelist_at_login_and_on_every_request(api_services, client, tenant):
    user = add_user(client, tenant, ip_whitelist=["198.51.100.0/24", "2001:db8::/32"])
    inside = client_from(api_services, "198.51.100.23")
    outside = client_from(api_services, "203.0.113.5")
    session = login(inside, tenant, user["username"])
    assert session.status_code == 200
    assert inside.get("/reseller/api/customers", headers=bearer(session)).status_code == 200
    assert_problem(login(outside, tenant, user["username"]), 403)
    # The same session used from elsewhere is refused.
    assert_problem(outside.get("/reseller/api/customers", headers=bearer(session)), 403)
    # Narrowing the whitelist ends the sessions it no longer allows.
    changed = client.patch(
        f"/reseller/api/users/{user['user_id']}",
        json={"ip_whitelist": ["192.0.2.0/24"]},
        headers=tenant.headers(),
    )
    assert changed.status_code == 200
    assert_problem(inside.get("/reseller/api/customers", headers=bearer(session)), 401)


def test_bad_whitelist_entries_are_refused(client, tenant):
    response = client.post(
        "/reseller/api/users",
        headers=tenant.headers(),
        json={
            "username": "bad.whitelist",
            "email": "b@example.com",
            "role": "user",
            "ip_whitelist": ["192.168.1.0/33"],
        },
    )
    assert_problem(response, 422, "ip_whitelist")


def test_nobody_can_escalate(client, tenant, isp_headers):
    from domain.access.roles import Role

    manager = add_user(client, tenant, role="manager")
    manager_session = login(client, tenant, manager["username"])
    headers = bearer(manager_session)
    # A manager lacks user_manage altogether.
    assert_problem(
        client.post(
            "/reseller/api/users",
            headers=headers,
            json={"username": "x" + uuid.uuid4().hex[:6], "email": "x@example.com", "role": "user"},
        ),
        403,
    )
    # A reseller's admin is added by a higher rank: the master ISP.
    admin = client.post(
        "/reseller/api/users",
        headers=isp_headers,
        json={
            "reseller_id": tenant.number,
            "username": "a" + uuid.uuid4().hex[:8],
            "email": "a@example.com",
            "role": "admin",
            "permissions": ["user_manage", "user_view", "customer_view"],
            "password": PASSWORD,
        },
    ).json()
    admin_headers = bearer(login(client, tenant, admin["username"]))
    for role, permissions in [
        ("admin", []),
        ("manager", []),
        ("user", ["customer_create"]),
        ("readonly", ["ledger_view"]),
    ]:
        refused = client.post(
            "/reseller/api/users",
            headers=admin_headers,
            json={
                "username": "e" + uuid.uuid4().hex[:6],
                "email": "e@example.com",
                "role": role,
                "permissions": permissions,
            },
        )
        assert_problem(refused, 403)
    allowed = client.post(
        "/reseller/api/users",
        headers=admin_headers,
        json={
            "username": "ok" + uuid.uuid4().hex[:6],
            "email": "ok@example.com",
            "role": "user",
            "permissions": ["customer_view"],
        },
    )
    assert allowed.status_code == 201
    # Nor by granting, nor by changing one's own permissions, nor through a token.
    assert_problem(
        client.post(
            f"/reseller/api/users/{allowed.json()['user_id']}/grants",
            headers=admin_headers,
            json={"permission": "credit_payment", "expires_at": "2099-01-01T00:00:00Z"},
        ),
        403,
    )
    assert_problem(
        client.patch(
            f"/reseller/api/users/{admin['user_id']}",
            headers=admin_headers,
            json={"permissions": ["user_manage", "credit_payment"]},
        ),
        403,
    )
    assert_problem(
        client.post(
            "/reseller/api/tokens", headers=admin_headers, json={"label": "sneaky", "role": "admin"}
        ),
        403,
    )
    assert_problem(
        client.post(
            "/reseller/api/tokens",
            headers=tenant.headers(Role.ADMIN),
            json={"label": "isp", "role": "isp_admin"},
        ),
        403,
    )
    assert_problem(
        client.post(
            "/reseller/api/tokens",
            headers=tenant.headers(Role.ADMIN),
            json={"label": "charge", "role": "admin", "permissions": ["credit_charge"]},
        ),
        422,
        "permissions",
    )


def test_narrow_tokens_and_revocation(client, tenant):
    from domain.access.roles import Role

    issued = client.post(
        "/reseller/api/tokens",
        headers=tenant.headers(Role.ADMIN),
        json={"label": "read customers", "role": "manager", "permissions": ["customer_view"]},
    )
    assert issued.status_code == 201
    token = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.get("/reseller/api/customers", headers=token).status_code == 200
    assert_problem(
        client.post("/reseller/api/customers", json=seed_customer(tenant.number), headers=token),
        403,
    )
    assert_problem(client.get("/reseller/api/credit-account", headers=token), 403)
    revoked = client.delete(
        f"/reseller/api/tokens/{issued.json()['token_id']}", headers=tenant.headers(Role.ADMIN)
    )
    assert revoked.status_code == 200
    assert_problem(client.get("/reseller/api/customers", headers=token), 401)


def test_temporary_grants_lapse_by_themselves(client, tenant, clock):
    # A grant adds, for a while, what the role's template allows but the user's list lacks.
    user = add_user(client, tenant, role="manager", permissions=["customer_view"])
    session = login(client, tenant, user["username"])

    def create():
        return client.post(
            "/reseller/api/customers",
            json=seed_customer(tenant.number),
            headers=bearer(session),
        )

    assert_problem(create(), 403)
    until = (clock() + timedelta(hours=1)).isoformat()
    granted = client.post(
        f"/reseller/api/users/{user['user_id']}/grants",
        headers=tenant.headers(),
        json={"permission": "customer_create", "expires_at": until},
    )
    assert granted.status_code == 200
    assert create().status_code == 201
    clock.advance(minutes=20)
    assert create().status_code == 201
    clock.advance(minutes=41)
    session = login(client, tenant, user["username"])
    assert_problem(create(), 403)


def test_allowed_customer_ids_limit_what_a_user_sees(client, tenant):
    customers = [
        client.post(
            "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
        ).json()
        for _ in range(3)
    ]
    user = add_user(
        client,
        tenant,
        role="user",
        allowed_customer_ids=[customers[0]["customer_id"], customers[1]["portal_id"]],
    )
    session = login(client, tenant, user["username"])
    from tests.api.auth_helpers import eventually

    visible = eventually(
        lambda: (
            {
                c["customer_id"]
                for c in client.get("/reseller/api/customers", headers=bearer(session)).json()[
                    "items"
                ]
            }
            or None
        )
    )
    assert visible == {customers[0]["customer_id"], customers[1]["customer_id"]}
    assert_problem(
        client.get(
            f"/reseller/api/customers/{customers[2]['customer_id']}", headers=bearer(session)
        ),
        404,
    )
    assert_problem(
        client.post(
            f"/reseller/api/customers/{customers[2]['customer_id']}/status",
            json={"status": "active"},
            headers=bearer(session),
        ),
        404,
    )


def test_parent_sees_children_only_when_allowed_and_children_never_see_up(
    client, store, isp_headers
):
    from domain.access.roles import Role

    parent = new_reseller(store, roles=(Role.ADMIN,))
    child = new_reseller(store, roles=(Role.ADMIN,), parent=parent.number)
    sibling = new_reseller(store, roles=(Role.ADMIN,), parent=parent.number)
    grandchild = new_reseller(store, roles=(Role.ADMIN,), parent=child.number)
    created = client.post(
        "/reseller/api/customers", json=seed_customer(child.number), headers=child.headers()
    )
    child_customer = created.json()
    as_parent = {"reseller_id": child.number}
    assert_problem(
        client.get("/reseller/api/customers", params=as_parent, headers=parent.headers()), 404
    )
    for reseller in (child, grandchild):
        client.patch(
            "/reseller/api/settings/security",
            json={"manage_sub_resellers": True},
            headers=reseller.headers(),
        )
    enabled = client.patch(
        "/reseller/api/settings/security",
        json={"manage_sub_resellers": True},
        headers=parent.headers(),
    )
    assert enabled.status_code == 200
    listed = client.get("/reseller/api/customers", params=as_parent, headers=parent.headers())
    assert listed.status_code == 200
    assert (
        client.get(
            f"/reseller/api/customers/{child_customer['customer_id']}",
            params={"wait_for_position": created.headers["Ledger-Position"]},
            headers=parent.headers(),
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/reseller/api/customers",
            params={"reseller_id": grandchild.number},
            headers=parent.headers(),
        ).status_code
        == 200
    )
    made = client.post(
        "/reseller/api/customers", json=seed_customer(child.number), headers=parent.headers()
    )
    assert made.status_code == 201 and made.json()["reseller_id"] == child.number
    # A child never sees its parent or its siblings.
    for other in (parent, sibling):
        assert_problem(
            client.get(
                "/reseller/api/customers",
                params={"reseller_id": other.number},
                headers=child.headers(),
            ),
            404,
        )
    assert_problem(
        client.get(
            "/reseller/api/customers",
            params={"reseller_id": child.number},
            headers=sibling.headers(),
        ),
        404,
    )


def test_custom_roles_are_templates_that_follow_their_definition(client, tenant):
    # A custom role narrows its base role's template (never widens it).
    defined = client.post(
        "/reseller/api/roles",
        headers=tenant.headers(),
        json={
            "name": "billing-clerk",
            "base_role": "manager",
            "permissions": ["customer_view", "customer_create"],
        },
    )
    assert defined.status_code == 201, defined.text
    user = add_user(client, tenant, role="billing-clerk")
    assert user["role"] == "billing-clerk" and user["base_role"] == "manager"
    session = login(client, tenant, user["username"])
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=bearer(session)
    )
    assert created.status_code == 201
    # Redefining the role changes what its holders may do, at once.
    client.post(
        "/reseller/api/roles",
        headers=tenant.headers(),
        json={"name": "billing-clerk", "base_role": "manager", "permissions": ["customer_view"]},
    )
    assert_problem(
        client.post(
            "/reseller/api/customers", json=seed_customer(tenant.number), headers=bearer(session)
        ),
        403,
    )
    assert client.get("/reseller/api/customers", headers=bearer(session)).status_code == 200
    roles = client.get("/reseller/api/roles", headers=tenant.headers()).json()
    assert roles["custom"]["billing-clerk"]["permissions"] == ["customer_view"]
    assert "admin" in roles["built_in"]
    client.delete("/reseller/api/roles/billing-clerk", headers=tenant.headers())
    assert_problem(client.get("/reseller/api/customers", headers=bearer(session)), 403)
    assert_problem(
        client.post(
            "/reseller/api/roles",
            headers=tenant.headers(),
            json={"name": "admin", "base_role": "user", "permissions": ["customer_view"]},
        ),
        422,
        "name",
    )
