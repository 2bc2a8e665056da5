"""API tokens: issuing (shown once, stored hashed), revoking, and authenticating a bearer token."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pydantic import Field

from commands.errors import Forbidden, NotFound, Unprocessable
from commands.models import CommandModel
from commands.principal import Principal, RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access import (
    ROLE_RANK,
    TOKEN_PREFIX,
    ApiToken,
    Permission,
    Role,
    api_token_id,
    hash_token,
)
from domain.reseller import Reseller, reseller_id

TOKEN_BYTES = 32  # 256 bits from the OS CSPRNG
MAX_TOKEN_LENGTH = 200


class IssueToken(CommandModel):
    label: str = Field(min_length=1, max_length=100, examples=["billing integration"])
    role: Role
    reseller_id: int | None = Field(default=None, ge=1)
    expires_at: datetime | None = None


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def issue_token(store: Store, context: RequestContext, command: IssueToken) -> CommandResult:
    """Issue a token. The secret is in this response only; no Idempotency-Key is taken, because
    a stored response would keep the secret."""
    principal = context.principal
    principal.require(Permission.TOKENS_ISSUE)
    if context.idempotency_key is not None:
        raise Unprocessable(
            "token issuance does not take an Idempotency-Key (the response holds a secret)",
            field="Idempotency-Key",
        )
    if ROLE_RANK[command.role] > ROLE_RANK[principal.role]:
        raise Forbidden("a token cannot carry a role above its issuer's")
    if command.expires_at is not None and command.expires_at <= context.received_at:
        raise Unprocessable("expires_at must be in the future", field="expires_at")
    number = (
        None if command.role is Role.ISP_ADMIN else principal.reseller_in_scope(command.reseller_id)
    )
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
        )
        body: dict[str, Any] = {
            "token_id": str(token.id),
            "token": secret,
            "label": token.label,
            "role": token.role,
            "reseller_id": number,
            "expires_at": None if token.expires_at is None else token.expires_at.isoformat(),
        }
        return Outcome([token], body, tenant, number, 201)

    return run_command(store, context, handle, fingerprint("issue_token", secret))


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
    return Principal(
        subject=f"token:{record.id}",
        role=Role(record.role),
        reseller_number=record.reseller_number,
    )
