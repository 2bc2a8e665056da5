"""API tokens: issuing (shown once, stored hashed), revoking, and authenticating a bearer token."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from commands.auth import managed_resellers
from commands.errors import Forbidden, NotFound, Unprocessable
from commands.models import AwareDatetime, CommandModel
from commands.principal import Principal, RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access import (
    ISP_ROLES,
    ROLE_PERMISSIONS,
    ROLE_RANK,
    TOKEN_PREFIX,
    ApiToken,
    Permission,
    Role,
    api_token_id,
    hash_token,
)
from domain.reseller import Reseller, reseller_id
from domain.users import parse_permissions

TOKEN_BYTES = 32  # 256 bits from the OS CSPRNG
MAX_TOKEN_LENGTH = 200


class IssueToken(CommandModel):
    label: str = Field(min_length=1, max_length=100, examples=["billing integration"])
    role: Role = Field(strict=False)
    reseller_id: int | None = Field(default=None, ge=1)
    expires_at: AwareDatetime | None = None
    permissions: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="A narrower scope than the role's template; empty = the role's permissions",
    )


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def issue_token(store: Store, context: RequestContext, command: IssueToken) -> CommandResult:
    """Issue a token. The secret is in this response only; no Idempotency-Key is taken, because
    a stored response would keep the secret."""
    principal = context.principal
    number = None if command.role in ISP_ROLES else principal.reseller_in_scope(command.reseller_id)
    principal.require(Permission.TOKEN_ISSUE)
    if context.idempotency_key is not None:
        raise Unprocessable(
            "token issuance does not take an Idempotency-Key (the response holds a secret)",
            field="Idempotency-Key",
        )
    if ROLE_RANK[command.role] > ROLE_RANK[principal.role]:
        raise Forbidden("a token cannot carry a role above its issuer's")
    realm = "isp" if command.role in ISP_ROLES else "reseller"
    scope = frozenset(Permission(p) for p in parse_permissions(command.permissions, realm))
    wanted = scope or ROLE_PERMISSIONS[command.role]
    if not wanted <= principal.permissions:
        beyond = ", ".join(sorted(wanted - principal.permissions))
        raise Forbidden(f"a token cannot carry permissions its issuer lacks: {beyond}")
    if command.expires_at is not None and command.expires_at <= context.received_at:
        raise Unprocessable("expires_at must be in the future", field="expires_at")
    secret = new_token_secret()

    def handle() -> Outcome:
        tenant = 0
        if number is not None:
            tenant = load(store, reseller_id(number), Reseller, "reseller").root_number
        token = ApiToken.issue(
            token_hash=hash_token(secret),
            label=command.label,
            role=command.role,
            reseller_number=number,
            expires_at=command.expires_at,
            permissions=scope,
        )
        body: dict[str, Any] = {
            "token_id": str(token.id),
            "token": secret,
            "label": token.label,
            "role": token.role,
            "reseller_id": number,
            "expires_at": None if token.expires_at is None else token.expires_at.isoformat(),
            "permissions": token.permissions,
        }
        return Outcome([token], body, tenant, number, 201)

    return run_command(store, context, handle, fingerprint("issue_token", secret))


def revoke_token(store: Store, context: RequestContext, token_id: UUID) -> CommandResult:
    principal = context.principal

    def handle() -> Outcome:
        token = load(store, token_id, ApiToken, "token")
        if token.reseller_number is None:
            if not principal.is_isp_admin:
                raise NotFound("token not found")
        elif not principal.sees_reseller(token.reseller_number):
            raise NotFound("token not found")
        principal.require(Permission.TOKEN_ISSUE)
        token.revoke()
        body = {"token_id": str(token.id), "revoked": True}
        tenant = 0
        if token.reseller_number is not None:
            tenant = load(
                store, reseller_id(token.reseller_number), Reseller, "reseller"
            ).root_number
        return Outcome([token], body, tenant, token.reseller_number)

    return run_command(store, context, handle, fingerprint("revoke_token", token_id))


def authenticate(store: Store, token: str, now: datetime) -> Principal | None:
    """The principal a bearer token stands for, or None for an unknown, revoked or expired one."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        record = load(store, api_token_id(hash_token(token)), ApiToken, "token")
    except NotFound:
        return None
    if not record.is_valid_at(now):
        return None
    managed: frozenset[int] = frozenset()
    if record.reseller_number is not None and (
        Permission.SUB_RESELLER_MANAGE in record.effective_permissions
    ):
        reseller = load(store, reseller_id(record.reseller_number), Reseller, "reseller")
        managed = managed_resellers(store, reseller)
    return Principal(
        subject=f"token:{record.id}",
        role=Role(record.role),
        reseller_number=record.reseller_number,
        explicit_permissions=record.effective_permissions,
        managed_resellers=managed,
    )
