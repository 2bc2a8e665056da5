"""Who may do what: the roles of seed §1.1/§1.3, their permissions, and API tokens.

An API token belongs to a principal: a master-ISP admin (realm "isp", any reseller) or a
reseller user with one role inside one reseller. Only a hash of the token is ever stored; the
token's aggregate id is derived from that hash, so authentication is a single load by id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id


class Role(StrEnum):
    ISP_ADMIN = "isp_admin"
    ADMIN = "admin"
    MANAGER = "manager"
    USER = "user"
    READONLY = "readonly"
    FINANCE_AUDITOR = "finance_auditor"
    """The master ISP's read-only auditor: financial data and the audit trail, no writes."""


class Permission(StrEnum):
    """Granular permissions (seed §7.2), named as the seed names them ("customer_create")."""

    RESELLER_MANAGE = "reseller_manage"  # master ISP only
    SUB_RESELLER_MANAGE = "sub_reseller_manage"
    CUSTOMER_VIEW = "customer_view"
    CUSTOMER_CREATE = "customer_create"
    CUSTOMER_EDIT = "customer_edit"
    CUSTOMER_DELETE = "customer_delete"
    SERVICE_PROVISION = "service_provision"
    SERVICE_MODIFY = "service_modify"
    SERVICE_SUSPEND = "service_suspend"
    BILLING_VIEW = "billing_view"
    BILLING_MANAGE = "billing_manage"
    PAYMENT_PROCESS = "payment_process"
    CREDIT_VIEW = "credit_view"
    CREDIT_CHARGE = "credit_charge"  # master ISP only
    CREDIT_PAYMENT = "credit_payment"
    LEDGER_VIEW = "ledger_view"
    REPORT_VIEW = "report_view"
    TICKET_MANAGE = "ticket_manage"
    USER_VIEW = "user_view"
    USER_MANAGE = "user_manage"
    TOKEN_ISSUE = "token_issue"  # noqa: S105 - a permission name
    ACTIVITY_VIEW = "activity_view"
    AUDIT_VIEW = "audit_view"  # master ISP realm only: the audit trail of every event
    REPORT_SCHEDULE = "report_schedule"
    COMMISSION_DISPUTE = "commission_dispute"  # submit and escalate commission disputes
    WEBHOOK_MANAGE = "webhook_manage"  # admin rank: subscriptions, their secrets and deliveries


ISP_ONLY = frozenset({Permission.RESELLER_MANAGE, Permission.CREDIT_CHARGE, Permission.AUDIT_VIEW})
ISP_ROLES = frozenset({Role.ISP_ADMIN, Role.FINANCE_AUDITOR})
"""Roles of the master ISP's realm: no reseller of their own, every reseller in reach."""

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ISP_ADMIN: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - ISP_ONLY,
    Role.MANAGER: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.CUSTOMER_CREATE,
            Permission.CUSTOMER_EDIT,
            Permission.SERVICE_PROVISION,
            Permission.SERVICE_MODIFY,
            Permission.BILLING_VIEW,
            Permission.PAYMENT_PROCESS,
            Permission.CREDIT_VIEW,
            Permission.REPORT_VIEW,
            Permission.TICKET_MANAGE,
            Permission.USER_VIEW,
            Permission.ACTIVITY_VIEW,
            Permission.REPORT_SCHEDULE,
            Permission.COMMISSION_DISPUTE,
        }
    ),
    Role.USER: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.CUSTOMER_EDIT,
            Permission.SERVICE_MODIFY,
            Permission.PAYMENT_PROCESS,
            Permission.TICKET_MANAGE,
        }
    ),
    Role.READONLY: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.BILLING_VIEW,
            Permission.CREDIT_VIEW,
            Permission.LEDGER_VIEW,
            Permission.REPORT_VIEW,
        }
    ),
    Role.FINANCE_AUDITOR: frozenset(
        {
            Permission.BILLING_VIEW,
            Permission.CREDIT_VIEW,
            Permission.LEDGER_VIEW,
            Permission.REPORT_VIEW,
            Permission.AUDIT_VIEW,
        }
    ),
}

# A role may hand out tokens only for roles at or below its own rank.
ROLE_RANK: dict[Role, int] = {
    Role.ISP_ADMIN: 4,
    Role.ADMIN: 3,
    Role.MANAGER: 2,
    Role.USER: 1,
    Role.READONLY: 0,
    Role.FINANCE_AUDITOR: 4,  # only the ISP admin may issue it
}


# -- coherence: doing something to a resource implies seeing it -------------------------------

IMPLIED_PERMISSIONS: dict[Permission, frozenset[Permission]] = {
    Permission.CUSTOMER_CREATE: frozenset({Permission.CUSTOMER_VIEW}),
    Permission.CUSTOMER_EDIT: frozenset({Permission.CUSTOMER_VIEW}),
    Permission.CUSTOMER_DELETE: frozenset({Permission.CUSTOMER_VIEW}),
    Permission.SERVICE_PROVISION: frozenset({Permission.CUSTOMER_VIEW}),
    Permission.SERVICE_MODIFY: frozenset({Permission.CUSTOMER_VIEW}),
    Permission.SERVICE_SUSPEND: frozenset({Permission.CUSTOMER_VIEW}),
    Permission.BILLING_MANAGE: frozenset({Permission.BILLING_VIEW}),
    Permission.CREDIT_CHARGE: frozenset({Permission.CREDIT_VIEW}),
    Permission.CREDIT_PAYMENT: frozenset({Permission.CREDIT_VIEW}),
    Permission.USER_MANAGE: frozenset({Permission.USER_VIEW}),
    Permission.REPORT_SCHEDULE: frozenset({Permission.REPORT_VIEW}),
}
"""Changing a resource implies seeing the same resource (seed §7.1: a manager given
`customer_create` and `customer_edit` sees the customers it creates)."""


def with_implied(permissions: frozenset[Permission]) -> frozenset[Permission]:
    """The permissions together with every permission they imply."""
    implied = set(permissions)
    for permission in permissions:
        implied |= IMPLIED_PERMISSIONS.get(permission, frozenset())
    return frozenset(implied)


def bounded_by_role(role: Role, permissions: frozenset[Permission]) -> frozenset[Permission]:
    """What a holder of `role` may really use of `permissions`: their coherent closure, never
    beyond the role's template (a readonly user listed with `user_manage` gets nothing of it)."""
    return with_implied(permissions) & ROLE_PERMISSIONS[role]


def beyond_template(role: Role, permissions: frozenset[Permission]) -> frozenset[Permission]:
    """The permissions (with what they imply) that `role`'s template does not allow."""
    return with_implied(permissions) - ROLE_PERMISSIONS[role]


# -- rank: nobody acts on a user of their own rank or above -----------------------------------


def outranks(actor: Role, target: Role) -> bool:
    """True when `actor` stands strictly above `target` (the ISP admin above every reseller
    role; a reseller admin above its managers, users and readonly members; never a peer)."""
    return ROLE_RANK[actor] > ROLE_RANK[target]


def management_refusal(actor: Role, target: Role, acting_on_self: bool) -> str | None:
    """Why `actor` may not manage (modify, disable, enable, reset, grant to, end the sessions
    of) a user holding `target`; None when it may. Self-service has its own routes."""
    if acting_on_self:
        return "you cannot manage your own account here; use the self-service routes"
    if not outranks(actor, target):
        return f"a {actor.value} cannot manage a user of rank {target.value} (equal or higher)"
    return None


def role_assignment_refusal(actor: Role, wanted: Role) -> str | None:
    """Why `actor` may not give a user the role `wanted` (only roles it outranks)."""
    if not outranks(actor, wanted):
        return f"a {actor.value} can only give roles below its own, not {wanted.value}"
    return None


def token_role_refusal(issuer: Role, wanted: Role) -> str | None:
    """A token may carry its issuer's role or one below it, never one above."""
    if ROLE_RANK[wanted] > ROLE_RANK[issuer]:
        return "a token cannot carry a role above its issuer's"
    return None


def lower_role(first: Role, second: Role) -> Role:
    """The lower-ranked of two roles (the first on a tie)."""
    return second if ROLE_RANK[second] < ROLE_RANK[first] else first


TOKEN_PREFIX = "rl_"  # noqa: S105 - a public prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_id(token_hash: str) -> UUID:
    return derived_id("api-token", token_hash)


class ApiToken(Aggregate):
    class Issued(Aggregate.Created):
        token_hash: str
        label: str
        role: str
        reseller_number: int | None
        expires_at: datetime | None
        permissions: list[str]

    @event(Issued)
    def __init__(
        self,
        token_hash: str,
        label: str,
        role: str,
        reseller_number: int | None,
        expires_at: datetime | None,
        permissions: list[str],
    ) -> None:
        self.token_hash = token_hash
        self.label = label
        self.role = role
        self.reseller_number = reseller_number
        self.expires_at = expires_at
        self.permissions = permissions
        self.revoked = False
        self.issuer: str | None = None
        """None for a token issued from the command line (a root of trust) or before issuers
        were recorded."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return api_token_id(token_hash)

    @classmethod
    def issue(
        cls,
        token_hash: str,
        label: str,
        role: Role,
        reseller_number: int | None,
        expires_at: datetime | None,
        permissions: frozenset[Permission] = frozenset(),
    ) -> ApiToken:
        label = label.strip()
        if not label or len(label) > 100:
            raise DomainError("label must be 1-100 characters", field="label")
        if (role in ISP_ROLES) != (reseller_number is None):
            raise DomainError(
                "isp_admin and finance_auditor tokens have no reseller; every other role needs one",
                field="role",
            )
        return cls(
            token_hash=token_hash,
            label=label,
            role=role.value,
            reseller_number=reseller_number,
            expires_at=expires_at,
            permissions=sorted(p.value for p in permissions),
        )

    @property
    def effective_permissions(self) -> frozenset[Permission]:
        """The token's own narrow scope when it has one, else its role's template; never
        beyond the role's template (its issuer's current rights bound it further, at
        authentication)."""
        role = Role(self.role)
        if self.permissions:
            return bounded_by_role(role, frozenset(Permission(p) for p in self.permissions))
        return ROLE_PERMISSIONS[role]

    class IssuerRecorded(Aggregate.Event):
        """Who issued the token ('user:<id>' or 'token:<id>'): the token is bounded by that
        principal's current rights."""

        issuer: str

    @event(IssuerRecorded)
    def record_issuer(self, issuer: str) -> None:
        self.issuer = issuer

    class Revoked(Aggregate.Event):
        pass

    @event(Revoked)
    def _revoke(self) -> None:
        self.revoked = True

    def revoke(self) -> None:
        if self.revoked:
            raise DomainError("the token is already revoked", field="token_id")
        self._revoke()

    def is_valid_at(self, now: datetime) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


MAX_INDEXED_TOKENS = 10_000


def token_index_id(reseller_number: int | None) -> UUID:
    return derived_id("api-token-index", reseller_number or 0)


class TokenIndex(Aggregate):
    """The tokens issued for one reseller (or, under number 0, for the master ISP's realm),
    so that they can be listed and revoked; saved with each token it lists."""

    class Created(Aggregate.Created):
        reseller_number: int

    @event(Created)
    def __init__(self, reseller_number: int) -> None:
        self.reseller_number = reseller_number
        self.tokens: list[UUID] = []
        self.issuers: dict[str, str | None] = {}

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return token_index_id(reseller_number)

    class TokenListed(Aggregate.Event):
        token_id: UUID
        issuer: str | None

    @event(TokenListed)
    def _list(self, token_id: UUID, issuer: str | None) -> None:
        self.tokens = [*self.tokens, token_id]
        self.issuers = {**self.issuers, str(token_id): issuer}

    def add(self, token_id: UUID, issuer: str | None) -> None:
        if len(self.tokens) >= MAX_INDEXED_TOKENS:
            raise DomainError(
                f"at most {MAX_INDEXED_TOKENS} tokens per reseller; revoke unused ones",
                field="label",
            )
        self._list(token_id, issuer)
