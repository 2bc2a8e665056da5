"""API tokens: issuing (shown once, stored hashed), revoking, and authenticating a bearer token."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from commands.access.auth import managed_resellers
from commands.access.team_policy import load_team_policy
from commands.errors import Forbidden, NotFound, Unprocessable
from commands.models import AwareDatetime, CommandModel
from commands.principal import Principal, RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.auth_policy import TokenBounds, bound_by_issuer
from domain.access.roles import (
    ISP_ROLES,
    ROLE_PERMISSIONS,
    TOKEN_PREFIX,
    ApiToken,
    Permission,
    Role,
    TokenIndex,
    api_token_id,
    beyond_template,
    hash_token,
    token_role_refusal,
    with_implied,
)
from domain.access.users import ResellerUser, parse_permissions
from domain.partners.reseller import Reseller, reseller_id

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


def _issuer_of(principal: Principal) -> str | None:
    """The principal a new token is bounded by: a logged-in user or a stored API token; None
    for the command line (and tests' principals), the roots of trust."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.subject.startswith("token:"):
        try:
            return f"token:{UUID(principal.subject.removeprefix('token:'))}"
        except ValueError:
            return None
    return None


def _index(store: Store, reseller_number: int | None) -> TokenIndex:
    number = reseller_number or 0
    index_id = TokenIndex.create_id(number)
    if exists(store, index_id):
        return load(store, index_id, TokenIndex, "token index")
    return TokenIndex(reseller_number=number)


def issue_token(store: Store, context: RequestContext, command: IssueToken) -> CommandResult:
    """Issue a token. The secret is in this response only; no Idempotency-Key is taken, because
    a stored response would keep the secret. A token carries at most its issuer's role, at most
    what its role's template allows, at most what its issuer holds, and stays bounded by its
    issuer's current rights."""
    principal = context.principal
    number = None if command.role in ISP_ROLES else principal.reseller_in_scope(command.reseller_id)
    principal.require(Permission.TOKEN_ISSUE)
    if context.idempotency_key is not None:
        raise Unprocessable(
            "token issuance does not take an Idempotency-Key (the response holds a secret)",
            field="Idempotency-Key",
        )
    refusal = token_role_refusal(principal.role, command.role)
    if refusal is not None:
        raise Forbidden(refusal, field="role")
    realm = "isp" if command.role in ISP_ROLES else "reseller"
    scope = frozenset(Permission(p) for p in parse_permissions(command.permissions, realm))
    wanted = with_implied(scope) or ROLE_PERMISSIONS[command.role]
    if not wanted <= principal.permissions:
        beyond = ", ".join(sorted(wanted - principal.permissions))
        raise Forbidden(f"a token cannot carry permissions its issuer lacks: {beyond}")
    outside = beyond_template(command.role, scope)
    if outside:
        raise Unprocessable(
            f"the {command.role.value} role does not allow {', '.join(sorted(outside))}",
            field="permissions",
        )
    if command.expires_at is not None and command.expires_at <= context.received_at:
        raise Unprocessable("expires_at must be in the future", field="expires_at")
    secret = new_token_secret()
    issuer = _issuer_of(principal)

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
        if issuer is not None:
            token.record_issuer(issuer)
        index = _index(store, number)
        index.add(token.id, issuer)
        body = token_view(token) | {"token": secret}
        return Outcome([token, index], body, tenant, number, 201)

    return run_command(store, context, handle, fingerprint("issue_token", secret))


def token_view(token: ApiToken) -> dict[str, Any]:
    return {
        "token_id": str(token.id),
        "label": token.label,
        "role": token.role,
        "reseller_id": token.reseller_number,
        "expires_at": None if token.expires_at is None else token.expires_at.isoformat(),
        "permissions": token.permissions,
        "issuer": token.issuer,
        "revoked": token.revoked,
    }


def _may_revoke(principal: Principal, token: ApiToken) -> str | None:
    """Why the principal may not revoke the token; None when it may. Its issuer always may;
    a `token_issue` holder may revoke the reseller's tokens of its own rank or below."""
    if token.issuer is not None and token.issuer == _issuer_of(principal):
        return None
    if f"token:{token.id}" == principal.subject:
        return None
    if not principal.holds(Permission.TOKEN_ISSUE):
        return f"missing permission {Permission.TOKEN_ISSUE.value}"
    return token_role_refusal(principal.role, Role(token.role))


def revoke_token(store: Store, context: RequestContext, token_id: UUID) -> CommandResult:
    principal = context.principal

    def handle() -> Outcome:
        token = load(store, token_id, ApiToken, "token")
        if token.reseller_number is None:
            if not principal.is_isp_admin:
                raise NotFound("token not found")
        elif not principal.sees_reseller(token.reseller_number):
            raise NotFound("token not found")
        if principal.session_scope != "full":
            principal.require(Permission.TOKEN_ISSUE)
        refusal = _may_revoke(principal, token)
        if refusal is not None:
            raise Forbidden(refusal)
        token.revoke()
        body = {"token_id": str(token.id), "revoked": True}
        tenant = 0
        if token.reseller_number is not None:
            tenant = load(
                store, reseller_id(token.reseller_number), Reseller, "reseller"
            ).root_number
        return Outcome([token], body, tenant, token.reseller_number)

    return run_command(store, context, handle, fingerprint("revoke_token", token_id))


MAX_TOKEN_PAGE = 500


def list_tokens(
    store: Store, context: RequestContext, reseller_number: int | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The reseller's tokens, newest first: all of them for a `token_issue` holder, else the
    ones the caller issued. No secret is ever shown."""
    principal = context.principal
    number = principal.reseller_in_scope(reseller_number)
    if principal.session_scope != "full":
        principal.require(Permission.TOKEN_ISSUE)
    index_id = TokenIndex.create_id(number)
    if not exists(store, index_id):
        return []
    index = load(store, index_id, TokenIndex, "token index")
    me = _issuer_of(principal)
    everything = principal.holds(Permission.TOKEN_ISSUE)
    ids = [t for t in reversed(index.tokens) if everything or (me and index.issuers[str(t)] == me)]
    page = ids[offset : offset + min(limit, MAX_TOKEN_PAGE)]
    return [token_view(load(store, t, ApiToken, "token")) for t in page]


MAX_ISSUER_DEPTH = 8


def _issuer_bounds(store: Store, issuer: str, now: datetime, depth: int) -> TokenBounds | None:
    """The issuer's current role and permissions; None when the issuer can no longer act
    (disabled, removed, revoked, expired): then every token it issued ends."""
    kind, _, raw = issuer.partition(":")
    try:
        issuer_id = UUID(raw)
    except ValueError:
        return None
    if kind == "user":
        try:
            user = load(store, issuer_id, ResellerUser, "user")
        except NotFound:
            return None
        if not user.is_active:
            return None
        reseller = load(store, reseller_id(user.reseller_number), Reseller, "reseller")
        custom_roles = load_team_policy(store, reseller).custom_roles
        return TokenBounds(Role(user.role), user.effective_permissions(now, custom_roles))
    if kind == "token" and depth < MAX_ISSUER_DEPTH:
        try:
            record = load(store, issuer_id, ApiToken, "token")
        except NotFound:
            return None
        return _token_bounds(store, record, now, depth + 1)
    return None


def _token_bounds(store: Store, record: ApiToken, now: datetime, depth: int) -> TokenBounds | None:
    if not record.is_valid_at(now):
        return None
    issuer = None
    if record.issuer is not None:
        issuer = _issuer_bounds(store, record.issuer, now, depth)
        if issuer is None:
            return None
    return bound_by_issuer(Role(record.role), record.effective_permissions, issuer)


def authenticate(store: Store, token: str, now: datetime) -> Principal | None:
    """The principal a bearer token stands for, or None for an unknown, revoked or expired one,
    or one whose issuer can no longer act."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        record = load(store, api_token_id(hash_token(token)), ApiToken, "token")
    except NotFound:
        return None
    bounds = _token_bounds(store, record, now, 0)
    if bounds is None:
        return None
    managed: frozenset[int] = frozenset()
    if record.reseller_number is not None and (
        Permission.SUB_RESELLER_MANAGE in bounds.permissions
    ):
        reseller = load(store, reseller_id(record.reseller_number), Reseller, "reseller")
        managed = managed_resellers(store, reseller)
    return Principal(
        subject=f"token:{record.id}",
        role=bounds.role,
        reseller_number=record.reseller_number,
        explicit_permissions=bounds.permissions,
        managed_resellers=managed,
    )
