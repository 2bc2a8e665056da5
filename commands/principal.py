"""The acting principal and the checks every handler makes before it loads anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from commands.errors import Forbidden, NotFound, Unprocessable
from domain.access.roles import ISP_ROLES, ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user (through a session) or an API token, with a role, the reseller it
    belongs to and its effective permissions.

    An ISP admin (realm "isp") has no reseller and may act on any; so may a finance auditor
    (realm "isp" too), whose permissions are read-only. Everyone else acts inside
    their own reseller and, when that reseller lets its admins manage sub-resellers, inside
    its descendants (`managed_resellers`); never in a parent's or a sibling's.
    `allowed_customer_ids`, when not empty, limits a user to those customers (ids or Portal IDs).
    """

    subject: str
    role: Role
    reseller_number: int | None
    explicit_permissions: frozenset[Permission] | None = None
    """What this principal may do; None means its role's template (an empty set: nothing)."""
    managed_resellers: frozenset[int] = field(default=frozenset())
    allowed_customer_ids: frozenset[str] = field(default=frozenset())
    user_id: UUID | None = None
    session_id: str | None = None
    session_scope: str = "full"
    """'full'; 'enroll_2fa' or 'change_password' for a session that may only do that."""

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.explicit_permissions is None:
            return ROLE_PERMISSIONS[self.role]
        return self.explicit_permissions

    @property
    def realm(self) -> str:
        return "isp" if self.in_isp_realm else "reseller"

    @property
    def in_isp_realm(self) -> bool:
        """The master ISP's own principals: every reseller is in reach (permissions still
        decide what they may do there)."""
        return self.role in ISP_ROLES

    @property
    def is_isp_admin(self) -> bool:
        return self.role is Role.ISP_ADMIN

    def holds(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if self.session_scope != "full":
            raise Forbidden(f"this session is limited ({self.session_scope}) until that is done")
        if permission not in self.permissions:
            raise Forbidden(f"missing permission {permission.value}")

    def sees_reseller(self, reseller_number: int) -> bool:
        return (
            self.in_isp_realm
            or reseller_number == self.reseller_number
            or reseller_number in self.managed_resellers
        )

    def reseller_in_scope(self, reseller_number: int | None) -> int:
        """The reseller a command acts on; one outside the caller's reach is not found."""
        if self.in_isp_realm:
            if reseller_number is None:
                raise Unprocessable(
                    "reseller_id is required: an ISP admin must name the reseller",
                    field="reseller_id",
                )
            return reseller_number
        if self.reseller_number is None:
            raise Forbidden("this principal belongs to no reseller")
        if reseller_number is None:
            return self.reseller_number
        if not self.sees_reseller(reseller_number):
            raise NotFound("reseller not found", field="reseller_id")
        return reseller_number

    def sees_customer(self, reseller_number: int, customer_id: str, portal_id: str) -> bool:
        if not self.sees_reseller(reseller_number):
            return False
        if not self.allowed_customer_ids:
            return True
        return customer_id in self.allowed_customer_ids or portal_id in self.allowed_customer_ids


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Everything recorded with each event about the request that caused it."""

    principal: Principal
    request_id: str
    received_at: datetime
    """When the request arrived (UTC); handlers never read the clock themselves."""
    client_ip: str | None = None
    idempotency_key: str | None = None
    user_agent: str | None = None
