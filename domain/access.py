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


class Permission(StrEnum):
    RESELLERS_MANAGE = "resellers.manage"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_CREATE = "customers.create"
    CUSTOMERS_STATUS = "customers.status"
    CREDIT_VIEW = "credit.view"
    CREDIT_CHARGE = "credit.charge"
    CREDIT_PAYMENT = "credit.payment"
    LEDGER_VIEW = "ledger.view"
    TOKENS_ISSUE = "tokens.issue"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ISP_ADMIN: frozenset(Permission),
    Role.ADMIN: frozenset(
        {
            Permission.CUSTOMERS_VIEW,
            Permission.CUSTOMERS_CREATE,
            Permission.CUSTOMERS_STATUS,
            Permission.CREDIT_VIEW,
            Permission.CREDIT_PAYMENT,
            Permission.LEDGER_VIEW,
            Permission.TOKENS_ISSUE,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.CUSTOMERS_VIEW,
            Permission.CUSTOMERS_CREATE,
            Permission.CUSTOMERS_STATUS,
            Permission.CREDIT_VIEW,
        }
    ),
    Role.USER: frozenset({Permission.CUSTOMERS_VIEW}),
    Role.READONLY: frozenset(
        {Permission.CUSTOMERS_VIEW, Permission.CREDIT_VIEW, Permission.LEDGER_VIEW}
    ),
}

# A role may hand out tokens only for roles at or below its own rank.
ROLE_RANK: dict[Role, int] = {
    Role.ISP_ADMIN: 4,
    Role.ADMIN: 3,
    Role.MANAGER: 2,
    Role.USER: 1,
    Role.READONLY: 0,
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

    @event(Issued)
    def __init__(
        self,
        token_hash: str,
        label: str,
        role: str,
        reseller_number: int | None,
        expires_at: datetime | None,
    ) -> None:
        self.token_hash = token_hash
        self.label = label
        self.role = role
        self.reseller_number = reseller_number
        self.expires_at = expires_at
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
    ) -> ApiToken:
        label = label.strip()
        if not label or len(label) > 100:
            raise DomainError("label must be 1-100 characters", field="label")
        if (role is Role.ISP_ADMIN) != (reseller_number is None):
            raise DomainError(
                "isp_admin tokens have no reseller; every other role needs one", field="role"
            )
        return cls(
            token_hash=token_hash,
            label=label,
            role=role.value,
            reseller_number=reseller_number,
            expires_at=expires_at,
        )

    class Revoked(Aggregate.Event):
        pass

    @event(Revoked)
    def revoke(self) -> None:
        self.revoked = True

    def is_valid_at(self, now: datetime) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)
