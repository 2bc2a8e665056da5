"""The acting principal and the checks every handler makes before it loads anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from commands.errors import Forbidden, NotFound
from domain.access import ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a token's subject, its role, and the reseller it is scoped to.

    An ISP admin (realm "isp") has no reseller and may act on any; everyone else acts only
    inside their own reseller.
    """

    subject: str
    role: Role
    reseller_number: int | None
    permissions: frozenset[Permission] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.permissions:
            object.__setattr__(self, "permissions", ROLE_PERMISSIONS[self.role])

    @property
    def realm(self) -> str:
        return "isp" if self.role is Role.ISP_ADMIN else "reseller"

    @property
    def is_isp_admin(self) -> bool:
        return self.role is Role.ISP_ADMIN

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"the {self.role.value} role may not {permission.value}")

    def reseller_in_scope(self, reseller_number: int | None) -> int:
        """The reseller a command acts on; another tenant's reseller is reported as not found."""
        if self.is_isp_admin:
            if reseller_number is None:
                raise NotFound("an ISP admin must name the reseller", field="reseller_id")
            return reseller_number
        assert self.reseller_number is not None
        if reseller_number is not None and reseller_number != self.reseller_number:
            raise NotFound("reseller not found", field="reseller_id")
        return self.reseller_number


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Everything recorded with each event about the request that caused it."""

    principal: Principal
    request_id: str
    received_at: datetime
    """When the request arrived (UTC); handlers never read the clock themselves."""
    client_ip: str | None = None
    idempotency_key: str | None = None
