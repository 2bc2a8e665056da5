"""The pure rules of rank, role templates, permission coherence and token bounds."""

from __future__ import annotations

import pytest

from domain.access.auth_policy import TokenBounds, bound_by_issuer
from domain.access.roles import (
    IMPLIED_PERMISSIONS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    beyond_template,
    bounded_by_role,
    management_refusal,
    outranks,
    role_assignment_refusal,
    token_role_refusal,
    with_implied,
)
from domain.access.users import check_within_template
from domain.ledger.errors import DomainError

P = Permission
RESELLER_ROLES = (Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY)


@pytest.mark.parametrize("role", list(Role))
def test_every_template_is_coherent(role: Role) -> None:
    """A template that lets you change something lets you see it too."""
    assert with_implied(ROLE_PERMISSIONS[role]) == ROLE_PERMISSIONS[role]


def test_every_implication_stays_on_the_same_resource() -> None:
    for doing, seeing in IMPLIED_PERMISSIONS.items():
        assert all(s.value.split("_")[0] == doing.value.split("_")[0] for s in seeing) or (
            doing.value.startswith("service_") and seeing == {P.CUSTOMER_VIEW}
        )


def test_the_seed_manager_sees_what_it_creates() -> None:
    seed = frozenset({P.CUSTOMER_CREATE, P.CUSTOMER_EDIT, P.BILLING_VIEW})
    assert bounded_by_role(Role.MANAGER, seed) == seed | {P.CUSTOMER_VIEW}


def test_a_role_never_yields_more_than_its_template() -> None:
    assert bounded_by_role(Role.READONLY, frozenset({P.USER_MANAGE})) == frozenset()
    assert beyond_template(Role.READONLY, frozenset({P.USER_MANAGE})) == {
        P.USER_MANAGE,
        P.USER_VIEW,
    }
    with pytest.raises(DomainError) as refused:
        check_within_template(Role.READONLY, ["user_manage"])
    assert refused.value.field == "permissions"
    check_within_template(Role.MANAGER, ["customer_create"])  # within: no error


@pytest.mark.parametrize("actor", list(Role))
@pytest.mark.parametrize("target", RESELLER_ROLES)
def test_management_needs_a_strictly_higher_rank(actor: Role, target: Role) -> None:
    refusal = management_refusal(actor, target, acting_on_self=False)
    assert (refusal is None) == outranks(actor, target)
    assert management_refusal(actor, target, acting_on_self=True) is not None


def test_rank_order() -> None:
    assert outranks(Role.ISP_ADMIN, Role.ADMIN)
    assert not outranks(Role.ADMIN, Role.ADMIN)
    assert outranks(Role.ADMIN, Role.MANAGER)
    assert not outranks(Role.READONLY, Role.ADMIN)
    assert role_assignment_refusal(Role.ADMIN, Role.ADMIN) is not None
    assert role_assignment_refusal(Role.ADMIN, Role.MANAGER) is None


def test_a_token_carries_at_most_its_issuers_role() -> None:
    assert token_role_refusal(Role.ADMIN, Role.ADMIN) is None
    assert token_role_refusal(Role.ADMIN, Role.ISP_ADMIN) is not None
    assert token_role_refusal(Role.MANAGER, Role.ADMIN) is not None


def test_a_token_is_bounded_by_its_issuers_current_rights() -> None:
    token = ROLE_PERMISSIONS[Role.ADMIN]
    root = bound_by_issuer(Role.ADMIN, token, None)
    assert root == TokenBounds(Role.ADMIN, token)
    demoted = TokenBounds(Role.MANAGER, ROLE_PERMISSIONS[Role.MANAGER])
    bounded = bound_by_issuer(Role.ADMIN, token, demoted)
    assert bounded.role is Role.MANAGER
    assert bounded.permissions == ROLE_PERMISSIONS[Role.MANAGER]
    assert P.TOKEN_ISSUE not in bounded.permissions
    narrow = bound_by_issuer(Role.READONLY, frozenset({P.CUSTOMER_VIEW}), demoted)
    assert narrow == TokenBounds(Role.READONLY, frozenset({P.CUSTOMER_VIEW}))
