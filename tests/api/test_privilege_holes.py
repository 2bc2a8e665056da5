"""Issue 11 §1-§5 and issue 10 §5 (the seed §7.1 manager): each attack is performed and refused,
and the legitimate path next to it still works."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.access.roles import Role
from tests.api.auth_helpers import PASSWORD, add_user, bearer, client_from, fresh_ip, login
from tests.api.helpers import assert_problem, position, seed_customer

USERS = "/reseller/api/users"
TOKENS = "/reseller/api/tokens"


@pytest.fixture
def client(api_services: Any) -> Any:
    return client_from(api_services, fresh_ip())


def _admin_user(client: Any, tenant: Any, isp_headers: dict[str, str]) -> dict[str, Any]:
    """A reseller admin with a password, added by the master ISP (the rank above it)."""
    username = f"adm{uuid.uuid4().hex[:10]}"
    made = client.post(
        USERS,
        headers=isp_headers,
        json={
            "reseller_id": tenant.number,
            "username": username,
            "email": f"{username}@example.com",
            "role": "admin",
            "password": PASSWORD,
        },
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['token']}"}


# -- §1: rank in user management -------------------------------------------------------------


def test_a_readonly_user_cannot_be_given_user_manage(client: Any, tenant: Any) -> None:
    """The probe's attack: an admin creates {"role": "readonly", "permissions": ["user_manage"]}."""
    refused = client.post(
        USERS,
        headers=tenant.headers(),
        json={
            "username": f"ro{uuid.uuid4().hex[:8]}",
            "email": "ro@example.com",
            "role": "readonly",
            "permissions": ["user_manage"],
            "password": PASSWORD,
        },
    )
    assert_problem(refused, 422, "permissions")
    # Nor later, by a PATCH or a temporary grant.
    readonly = add_user(client, tenant, role="readonly")
    assert_problem(
        client.patch(
            f"{USERS}/{readonly['user_id']}",
            headers=tenant.headers(),
            json={"permissions": ["user_manage"]},
        ),
        422,
        "permissions",
    )
    assert_problem(
        client.post(
            f"{USERS}/{readonly['user_id']}/grants",
            headers=tenant.headers(),
            json={"permission": "user_manage", "expires_at": "2099-01-01T00:00:00Z"},
        ),
        422,
        "permission",
    )
    # The legitimate path: a readonly member narrowed within its template.
    narrowed = client.patch(
        f"{USERS}/{readonly['user_id']}",
        headers=tenant.headers(),
        json={"permissions": ["customer_view"]},
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["permissions"] == ["customer_view"]


def test_an_admin_cannot_take_over_another_admin(
    client: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    """Reset a peer's password, log in as the peer, issue an admin token: refused at step one."""
    first = _admin_user(client, tenant, isp_headers)
    second = _admin_user(client, tenant, isp_headers)
    session = login(client, tenant, first["username"])
    assert session.status_code == 200, session.text
    headers = bearer(session)
    peer = f"{USERS}/{second['user_id']}"
    assert_problem(client.post(f"{peer}/reset-password", headers=headers), 403)
    assert_problem(client.post(f"{peer}/disable", headers=headers, json={}), 403)
    assert_problem(client.patch(peer, headers=headers, json={"role": "readonly"}), 403)
    assert_problem(client.post(f"{peer}/sessions/revoke", headers=headers), 403)
    # The peer's password was not changed: it still logs in with its own.
    assert login(client, tenant, second["username"]).status_code == 200
    # Promoting a manager to admin is giving a rank equal to one's own: refused.
    manager = add_user(client, tenant, role="manager")
    assert_problem(
        client.patch(f"{USERS}/{manager['user_id']}", headers=headers, json={"role": "admin"}),
        403,
        "role",
    )
    # The legitimate path: the admin resets a manager's password; the ISP resets the admin's.
    reset = client.post(f"{USERS}/{manager['user_id']}/reset-password", headers=headers)
    assert reset.status_code == 200, reset.text
    assert reset.json()["must_change_password"] is True
    by_isp = client.post(f"{peer}/reset-password", headers=isp_headers)
    assert by_isp.status_code == 200, by_isp.text


def test_an_admin_cannot_redefine_a_custom_role_of_its_own_rank(
    client: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    roles = "/reseller/api/roles"
    params = {"reseller_id": tenant.number}
    made = client.post(
        roles,
        headers=isp_headers,
        params=params,
        json={"name": "ops-admin", "base_role": "admin", "permissions": ["user_manage"]},
    )
    assert made.status_code == 201, made.text
    downgrade = {"name": "ops-admin", "base_role": "readonly", "permissions": ["customer_view"]}
    assert_problem(client.post(roles, headers=tenant.headers(), json=downgrade), 403, "name")
    assert_problem(client.delete(f"{roles}/ops-admin", headers=tenant.headers()), 403, "name")
    # Its own custom roles, below its rank, it defines and removes.
    clerk = {"name": "clerk", "base_role": "manager", "permissions": ["customer_view"]}
    assert client.post(roles, headers=tenant.headers(), json=clerk).status_code == 201
    assert client.delete(f"{roles}/clerk", headers=tenant.headers()).status_code == 200


def test_a_token_cannot_carry_permissions_beyond_its_role(client: Any, tenant: Any) -> None:
    wide = client.post(
        TOKENS,
        headers=tenant.headers(),
        json={"label": "wide", "role": "readonly", "permissions": ["user_manage"]},
    )
    assert_problem(wide, 422, "permissions")
    above = client.post(
        TOKENS, headers=tenant.headers(), json={"label": "above", "role": "isp_admin"}
    )
    assert_problem(above, 403)
    narrow = client.post(
        TOKENS,
        headers=tenant.headers(),
        json={"label": "narrow", "role": "readonly", "permissions": ["customer_view"]},
    )
    assert narrow.status_code == 201, narrow.text
    assert client.get("/reseller/api/customers", headers=_bearer(narrow.json())).status_code == 200


# -- §2: tokens are bounded by their issuer --------------------------------------------------


def test_a_token_follows_its_issuers_demotion_and_disabling(
    client: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    admin = _admin_user(client, tenant, isp_headers)
    session = bearer(login(client, tenant, admin["username"]))
    issued = client.post(TOKENS, headers=session, json={"label": "integration", "role": "admin"})
    assert issued.status_code == 201, issued.text
    token = _bearer(issued.json())
    # The token mints a token of its own (an admin may): a chain of two.
    child = client.post(TOKENS, headers=token, json={"label": "child", "role": "admin"})
    assert child.status_code == 201, child.text
    child_token = _bearer(child.json())
    assert client.get(USERS, headers=child_token).status_code == 200
    # Demote the issuer: both tokens narrow to a manager's rights at once.
    demoted = client.patch(
        f"{USERS}/{admin['user_id']}", headers=isp_headers, json={"role": "manager"}
    )
    assert demoted.status_code == 200, demoted.text
    for headers in (token, child_token):
        assert_problem(
            client.post(TOKENS, headers=headers, json={"label": "again", "role": "admin"}), 403
        )
        assert client.get(USERS, headers=headers).status_code == 200  # managers see the team
    # Disable the issuer: every token it issued (and theirs) ends.
    disabled = client.post(f"{USERS}/{admin['user_id']}/disable", headers=isp_headers, json={})
    assert disabled.status_code == 200, disabled.text
    for headers in (token, child_token):
        assert_problem(client.get(USERS, headers=headers), 401)
    # Tokens issued by the command line (the tenant's own) are untouched.
    assert client.get(USERS, headers=tenant.headers()).status_code == 200


def test_tokens_can_be_listed_and_revoked(
    client: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    admin = _admin_user(client, tenant, isp_headers)
    session = bearer(login(client, tenant, admin["username"]))
    mine = client.post(TOKENS, headers=session, json={"label": "mine", "role": "user"}).json()
    other = client.post(TOKENS, headers=tenant.headers(), json={"label": "x", "role": "user"})
    assert other.status_code == 201
    listed = client.get(TOKENS, headers=session)
    assert listed.status_code == 200, listed.text
    ids = [t["token_id"] for t in listed.json()]
    # A token_issue holder sees every token of the reseller; none shows its secret.
    assert mine["token_id"] in ids and other.json()["token_id"] in ids
    assert all("token" not in t for t in listed.json())
    entry = next(t for t in listed.json() if t["token_id"] == mine["token_id"])
    assert entry["issuer"] == f"user:{admin['user_id']}"
    # Someone without token_issue sees only the tokens it issued (none).
    assert client.get(TOKENS, headers=tenant.headers(Role.READONLY)).json() == []
    # Nor may it revoke another's token.
    assert_problem(
        client.delete(f"{TOKENS}/{mine['token_id']}", headers=tenant.headers(Role.READONLY)), 403
    )
    assert client.get("/reseller/api/customers", headers=_bearer(mine)).status_code == 200
    revoked = client.delete(f"{TOKENS}/{mine['token_id']}", headers=session)
    assert revoked.status_code == 200, revoked.text
    assert_problem(client.get("/reseller/api/customers", headers=_bearer(mine)), 401)
    again = client.get(TOKENS, headers=session).json()
    assert next(t for t in again if t["token_id"] == mine["token_id"])["revoked"] is True


# -- issue 10 §5: the seed §7.1 manager sees the customers it creates ------------------------


def test_the_seed_manager_sees_the_customers_it_creates(client: Any, tenant: Any) -> None:
    seed = add_user(
        client,
        tenant,
        role="manager",
        permissions=["customer_create", "customer_edit", "billing_view"],
    )
    headers = bearer(login(client, tenant, seed["username"]))
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=headers
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["customer_id"]
    wait = {"wait_for_position": position(created)}
    seen = client.get(f"/reseller/api/customers/{customer_id}", headers=headers, params=wait)
    assert seen.status_code == 200, seen.text
    listed = client.get("/reseller/api/customers", headers=headers, params=wait)
    assert listed.status_code == 200, listed.text
    # What the list did not give stays refused: no credit account.
    assert_problem(client.get("/reseller/api/credit-account", headers=headers), 403)


# -- §3: a sub-reseller's credit limit comes out of its parent's available credit ------------


def _credit(client: Any, headers: dict[str, str], number: int) -> dict[str, Any]:
    response = client.get(
        "/reseller/api/credit-account", headers=headers, params={"reseller_id": number}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_parent_cannot_type_a_childs_credit_limit(client: Any, store: Any) -> None:
    from tests.support.builders import new_reseller

    parent = new_reseller(store, credit_limit="1000.00")
    attack = client.post(
        "/reseller/api/sub-resellers",
        headers=parent.headers(),
        json={"name": "Greedy child", "credit_limit": "99999999999.00"},
    )
    assert_problem(attack, 422, "credit_limit")
    # The legitimate path: a share of the parent's own available credit.
    child = client.post(
        "/reseller/api/sub-resellers",
        headers=parent.headers(),
        json={"name": "Fair child", "credit_limit": "600.00"},
    )
    assert child.status_code == 201, child.text
    assert child.json()["credit_limit"] == "600.00"
    assert _credit(client, parent.headers(), parent.number)["available"] == "400.00"
    # What is delegated is spent from the parent: a second child gets at most the rest.
    assert_problem(
        client.post(
            "/reseller/api/sub-resellers",
            headers=parent.headers(),
            json={"name": "Second child", "credit_limit": "400.01"},
        ),
        422,
        "credit_limit",
    )
    second = client.post(
        "/reseller/api/sub-resellers",
        headers=parent.headers(),
        json={"name": "Second child", "credit_limit": "400.00"},
    )
    assert second.status_code == 201, second.text
    assert _credit(client, parent.headers(), parent.number)["available"] == "0.00"


# -- §5: netting methods are the ISP's --------------------------------------------------------


def test_a_reseller_cannot_record_an_offset_payment_on_its_own_account(
    client: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    url = f"/reseller/api/resellers/{tenant.number}/credit-account/payments"
    body = {"amount": "50.00", "currency": tenant.currency, "method": "offset"}
    assert_problem(client.post(url, headers=tenant.headers(), json=body), 403, "method")
    before = _credit(client, tenant.headers(), tenant.number)
    assert before["paid_total"] == "0.00"
    # The legitimate paths: the reseller pays by bank transfer; the ISP records an offset.
    paid = client.post(url, headers=tenant.headers(), json={**body, "method": "bank_transfer"})
    assert paid.status_code == 200, paid.text
    netted = client.post(url, headers=isp_headers, json=body)
    assert netted.status_code == 200, netted.text
    assert netted.json()["paid_total"] == "100.00"


# -- §4: business dates are bounded; holding runs from when the money was recorded -----------


def _customer(client: Any, tenant: Any) -> str:
    created = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    )
    assert created.status_code == 201, created.text
    return str(created.json()["customer_id"])


def test_money_cannot_be_dated_before_the_reseller_or_in_the_future(
    client: Any, store: Any, isp_headers: dict[str, str]
) -> None:
    from datetime import date, timedelta

    from tests.support.builders import new_reseller

    fresh = new_reseller(store, opened_on=None)  # opened today
    customer = _customer(client, fresh)
    pay = f"/reseller/api/customers/{customer}/payments"
    credit = f"/reseller/api/resellers/{fresh.number}/credit-account/payments"
    body = {"amount": "10.00", "currency": "USD", "method": "cash"}
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    for url, headers in ((pay, fresh.headers()), (credit, isp_headers)):
        for day in ("1900-01-01", (date.today() - timedelta(days=1)).isoformat(), tomorrow):
            refused = client.post(url, headers=headers, json={**body, "effective_date": day})
            assert_problem(refused, 422, "effective_date")
        today = client.post(url, headers=headers, json={**body, "effective_date": None})
        assert today.status_code in (200, 201), today.text
    # A service change may be scheduled ahead, but not dated before the reseller existed.
    from tests.api.billing_helpers import customer_with_service, tariff

    _, service = customer_with_service(client, fresh, tariff(client, isp_headers, fresh))
    status = f"/reseller/api/services/{service}/status"
    old = client.post(
        status, headers=fresh.headers(), json={"status": "suspended", "on": "1900-01-01"}
    )
    assert_problem(old, 422, "on")
    now = client.post(status, headers=fresh.headers(), json={"status": "suspended"})
    assert now.status_code == 200, now.text
    # The master ISP may open a reseller migrated with its history; never in the future.
    migrated = client.post(
        "/reseller/api/resellers",
        headers=isp_headers,
        json={
            "reseller_code": f"MIG{uuid.uuid4().hex[:8]}",
            "name": "Migrated",
            "country": "NG",
            "currency": "USD",
            "opened_on": tomorrow,
        },
    )
    assert_problem(migrated, 422, "opened_on")


def test_a_backdated_payment_is_held_from_when_it_was_recorded(
    client: Any, store: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    from datetime import date, timedelta

    from commands.commissions.accrual import holding_period

    customer = _customer(client, tenant)  # the tenant was opened in 2000: 2001 is a business day
    paid = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={
            "amount": "99.99",
            "currency": "USD",
            "method": "cash",
            "effective_date": "2001-01-01",
        },
    )
    assert paid.status_code == 201, paid.text
    commissions = paid.json()["commissions"]
    assert commissions, paid.text
    for commission_id in commissions:
        record = store.repository.get(uuid.UUID(commission_id))
        assert record.hold_until == date.today() + holding_period(store)
        # Not cleared by the sweep, so not approvable at once.
        approve = client.post(
            f"/reseller/api/commissions/{commission_id}/approve", headers=isp_headers
        )
        assert_problem(approve, 422)
    assert record.status == "pending"
    # A payment dated and recorded today is held exactly as long.
    today = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": "10.00", "currency": "USD", "method": "cash"},
    )
    assert today.status_code == 201, today.text
    later = store.repository.get(uuid.UUID(today.json()["commissions"][0]))
    assert later.hold_until == record.hold_until
    assert later.hold_until - timedelta(days=1) >= date.today()
