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

from domain.errors import DomainError
from domain.ids import derived_id


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
        """The token's own narrow scope when it has one, else its role's template."""
        if self.permissions:
            return frozenset(Permission(p) for p in self.permissions)
        return ROLE_PERMISSIONS[Role(self.role)]

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
