"""Use cases of the access context: team members, their roles by rank, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from commands.access.auth import AuthConfig, AuthServices
from commands.access.tokens import IssueToken, authenticate, issue_token, revoke_token
from commands.access.users import CreateUser, ModifyUser, create_user, modify_user
from commands.errors import Conflict, Forbidden, Unprocessable
from domain.access.roles import Permission, Role, hash_token
from domain.access.users import ResellerUser, user_id
from tests.support.in_memory import event_names, events_since, head

from .steps import a_reseller, as_isp, as_reseller, body

# Creating users without a password needs neither sessions, throttling nor a secret box.
NO_AUTH_SERVICES = AuthServices(config=AuthConfig(), sessions=None, throttle=None, box=None)  # type: ignore[arg-type]


def _a_user(store, reseller: int, username: str, role: str, actor=None) -> UUID:
    created = create_user(
        store,
        NO_AUTH_SERVICES,
        actor or as_reseller(reseller),
        CreateUser(
            reseller_id=reseller, username=username, email=f"{username}@example.com", role=role
        ),
    )
    return UUID(body(created)["user_id"])


def test_a_reseller_admin_adds_a_team_member(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    created = create_user(
        store,
        NO_AUTH_SERVICES,
        as_reseller(reseller.number),
        CreateUser(
            username="Manager1",
            email="manager1@example.com",
            role="manager",
            department="sales",
        ),
    )

    view = body(created)
    assert created.status_code == 201
    assert (view["username"], view["role"], view["status"]) == ("manager1", "manager", "active")
    assert UUID(view["user_id"]) == user_id(reseller.number, "manager1")
    assert event_names(events_since(store, before))[0] == "ResellerUser.Created"
    user = store.repository.get(UUID(view["user_id"]))
    assert isinstance(user, ResellerUser)
    assert user.email.text == "manager1@example.com"


def test_a_username_is_taken_once_per_reseller(store) -> None:
    reseller = a_reseller(store)
    _a_user(store, reseller.number, "sam", "user")

    with pytest.raises(Conflict, match="is taken") as refused:
        _a_user(store, reseller.number, "SAM", "readonly")

    assert refused.value.field == "username"


def test_a_reseller_admin_cannot_create_another_admin(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    with pytest.raises(Forbidden, match="only give roles below its own") as refused:
        _a_user(store, reseller.number, "peer", "admin")

    assert refused.value.field == "role"
    assert head(store) == before


def test_promoting_a_manager_to_admin_is_refused_by_rank(store) -> None:
    reseller = a_reseller(store)
    manager = _a_user(store, reseller.number, "mgr", "manager")
    before = head(store)

    with pytest.raises(Forbidden, match="only give roles below its own"):
        modify_user(store, as_reseller(reseller.number), manager, ModifyUser(role="admin"), None)

    assert head(store) == before
    assert store.repository.get(manager).role == "manager"


def test_an_admin_cannot_manage_a_user_of_its_own_rank(store) -> None:
    reseller = a_reseller(store)
    admin = _a_user(store, reseller.number, "boss", "admin", actor=as_isp())

    with pytest.raises(Forbidden, match="equal or higher"):
        modify_user(store, as_reseller(reseller.number), admin, ModifyUser(department="x"), None)


def test_a_reseller_admin_demotes_a_manager(store) -> None:
    reseller = a_reseller(store)
    manager = _a_user(store, reseller.number, "mgr", "manager")

    changed = modify_user(
        store, as_reseller(reseller.number), manager, ModifyUser(role="user"), expected_version=1
    )

    assert body(changed)["role"] == "user"
    user = store.repository.get(manager)
    assert user.role == "user"
    assert user.security_version > 0


def test_an_issued_token_is_stored_hashed_and_authenticates_as_its_role(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    issued = issue_token(
        store,
        as_reseller(reseller.number),
        IssueToken(label="billing integration", role=Role.MANAGER),
    )

    token = body(issued)["token"]
    assert token.startswith("rl_")
    stored = store.recorder.select_notifications(start=before, limit=10, inclusive_of_start=False)
    assert all(token.encode() not in n.state for n in stored)
    assert any(hash_token(token).encode() in n.state for n in stored)
    principal = authenticate(store, token, datetime.now(UTC))
    assert principal is not None
    assert (principal.role, principal.reseller_number) == (Role.MANAGER, reseller.number)
    assert not principal.holds(Permission.USER_MANAGE)


def test_a_token_cannot_carry_a_role_above_its_issuer(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    with pytest.raises(Forbidden, match="above its issuer") as refused:
        issue_token(
            store,
            as_reseller(reseller.number),
            IssueToken(label="escalate", role=Role.ISP_ADMIN),
        )

    assert refused.value.field == "role"
    assert head(store) == before


def test_token_issuance_takes_no_idempotency_key(store) -> None:
    reseller = a_reseller(store)

    with pytest.raises(Unprocessable, match="does not take an Idempotency-Key"):
        issue_token(
            store,
            as_reseller(reseller.number, key="k-1"),
            IssueToken(label="kept secret", role=Role.USER),
        )


def test_a_revoked_token_no_longer_authenticates(store) -> None:
    reseller = a_reseller(store)
    issued = body(
        issue_token(store, as_reseller(reseller.number), IssueToken(label="t", role=Role.USER))
    )

    revoke_token(store, as_reseller(reseller.number), UUID(issued["token_id"]))

    assert authenticate(store, issued["token"], datetime.now(UTC)) is None
