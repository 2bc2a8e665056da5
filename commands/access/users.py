"""Reseller team management (seed §7): users, their roles and permissions, lifecycle, password
resets, temporary grants, and the reseller's security settings.

Nobody hands out more than they hold: a user's resulting permissions must lie within the
actor's own and within the role's template, and a role is given only below the actor's rank, so
neither creating, modifying nor granting can escalate. Every management action on an existing
user needs a rank strictly above the target's (domain.access.roles.management_refusal).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import EmailStr, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from commands.access.auth import AuthServices, hash_password, revoke_sessions
from commands.access.team_policy import load_team_policy
from commands.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from commands.models import AwareDatetime, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    management_refusal,
    role_assignment_refusal,
    with_implied,
)
from domain.access.team_policy import TeamPolicy
from domain.access.users import (
    ResellerUser,
    check_within_template,
    normalise_username,
    parse_permissions,
    parse_role,
    user_id,
)
from domain.ledger.personal import reveal
from domain.partners.reseller import Reseller, reseller_id

CustomerRef = int | str


class CreateUser(CommandModel):
    """Seed §7.1, as-is; `password` is optional (without it, an admin resets it later)."""

    reseller_id: int | None = Field(default=None, ge=1)
    username: str = Field(min_length=3, max_length=64, examples=["manager1"])
    email: EmailStr = Field(max_length=254)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    role: str = Field(examples=["manager"])
    permissions: list[str] = Field(default_factory=list, max_length=64)
    allowed_customer_ids: list[CustomerRef] = Field(default_factory=list, max_length=1000)
    ip_whitelist: list[str] = Field(default_factory=list, max_length=50)
    department: str | None = Field(default=None, max_length=100)
    password: str | None = Field(default=None, max_length=256)


class ModifyUser(CommandModel):
    email: Annotated[EmailStr, Field(max_length=254)] | SkipJsonSchema[None] = None
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    role: str | SkipJsonSchema[None] = None
    permissions: Annotated[list[str], Field(max_length=64)] | SkipJsonSchema[None] = None
    allowed_customer_ids: (
        Annotated[list[CustomerRef], Field(max_length=1000)] | SkipJsonSchema[None]
    ) = None
    ip_whitelist: Annotated[list[str], Field(max_length=50)] | SkipJsonSchema[None] = None
    department: str | None = Field(default=None, max_length=100)

    @field_validator("email", "role", "permissions", "allowed_customer_ids", "ip_whitelist")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; null has no meaning here (send [] to clear a list).
        if value is None:
            raise ValueError(
                "must not be null: leave it out to keep it, or send [] to clear a list"
            )
        return value


class DisableUser(CommandModel):
    reason: str | None = Field(default=None, max_length=500)


class GrantPermission(CommandModel):
    permission: str
    expires_at: AwareDatetime


class SecuritySettings(CommandModel):
    require_two_factor: bool | None = None
    manage_sub_resellers: bool | None = None


def user_view(user: ResellerUser) -> dict[str, Any]:
    return {
        "user_id": str(user.id),
        "reseller_id": user.reseller_number,
        "username": user.username,
        "email": reveal(user.email),
        "first_name": reveal(user.first_name),
        "last_name": reveal(user.last_name),
        "role": user.custom_role or user.role,
        "base_role": user.role,
        "permissions": user.permissions,
        "allowed_customer_ids": user.allowed_customer_ids,
        "ip_whitelist": user.ip_whitelist,
        "department": user.department,
        "status": user.status,
        "two_factor_enabled": user.has_two_factor,
        "version": user.version,
    }


@dataclass(frozen=True)
class ResolvedRole:
    """A role name as given: a built-in role, or a custom role with its built-in base."""

    base: Role
    custom: str | None
    permissions: frozenset[Permission]


def resolve_role(policy: TeamPolicy, name: str) -> ResolvedRole:
    if name in policy.custom_roles:
        definition = policy.custom_roles[name]
        permissions = frozenset(Permission(p) for p in definition["permissions"])
        return ResolvedRole(Role(definition["base_role"]), name, permissions)
    role = parse_role(name)
    return ResolvedRole(role, None, ROLE_PERMISSIONS[role])


def _check_no_escalation(
    context: RequestContext, role: ResolvedRole, permissions: list[str]
) -> None:
    """Only a role below the actor's own, only permissions the actor holds, and only what the
    role's template allows (seed §7.2 templates bound every explicit list)."""
    actor = context.principal
    refusal = role_assignment_refusal(actor.role, role.base)
    if refusal is not None:
        raise Forbidden(refusal, field="role")
    wanted = with_implied(frozenset(Permission(p) for p in permissions) or role.permissions)
    beyond = wanted - actor.permissions
    if beyond:
        raise Forbidden(f"you cannot give permissions you do not hold: {', '.join(sorted(beyond))}")
    check_within_template(role.base, permissions)
    check_within_template(role.base, sorted(role.permissions), field="role")


def _customer_refs(values: list[CustomerRef]) -> list[str]:
    return sorted({str(v) for v in values})


def _load_user_in_scope(
    store: Store, context: RequestContext, target: uuid.UUID, permission: Permission
) -> ResellerUser:
    """A user the actor can see (else not found), once the actor holds `permission`."""
    user = load(store, target, ResellerUser, "user")
    if not context.principal.sees_reseller(user.reseller_number):
        raise NotFound("user not found")
    context.principal.require(permission)
    return user


def _load_user_to_manage(store: Store, context: RequestContext, target: uuid.UUID) -> ResellerUser:
    """A user the actor may manage: in reach (else not found), with `user_manage`, and of a
    rank strictly below the actor's own (never itself: self-service has its own routes)."""
    user = _load_user_in_scope(store, context, target, Permission.USER_MANAGE)
    actor = context.principal
    refusal = management_refusal(actor.role, Role(user.role), user.id == actor.user_id)
    if refusal is not None:
        raise Forbidden(refusal)
    return user


def _user_outcome(user: ResellerUser, status: int = 200) -> Outcome:
    return Outcome(
        [user],
        user_view(user),
        user.tenant_number,
        user.reseller_number,
        status,
        personal_subject=user.id,
    )


def create_user(
    store: Store, auth: AuthServices, context: RequestContext, command: CreateUser
) -> CommandResult:
    actor = context.principal
    number = actor.reseller_in_scope(command.reseller_id)
    actor.require(Permission.USER_MANAGE)
    permissions = parse_permissions(command.permissions)
    username = normalise_username(command.username)
    password_hash = None
    if command.password is not None:
        auth.config.password_policy.check(command.password, username)
        password_hash = hash_password(command.password)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        role = resolve_role(load_team_policy(store, reseller), command.role)
        _check_no_escalation(context, role, permissions)
        if exists(store, user_id(number, username)):
            raise Conflict(f"username {username} is taken", field="username")
        user = ResellerUser.register(
            reseller_number=number,
            tenant_number=reseller.root_number,
            username=username,
            email=command.email,
            first_name=command.first_name,
            last_name=command.last_name,
            role=role.base.value,
            custom_role=role.custom,
            permissions=permissions,
            allowed_customer_ids=_customer_refs(command.allowed_customer_ids),
            ip_whitelist=command.ip_whitelist,
            department=command.department,
        )
        if password_hash is not None:
            user.set_password_hash(password_hash, must_change=False)
        return _user_outcome(user, 201)

    # The password stays out of the fingerprint: a stored digest of it could be attacked.
    request = command.model_dump(mode="json", exclude={"password"})
    return run_command(store, context, handle, fingerprint("create_user", number, request))


def modify_user(
    store: Store,
    context: RequestContext,
    target: uuid.UUID,
    command: ModifyUser,
    expected_version: int | None,
) -> CommandResult:
    actor = context.principal
    updates = command.model_dump(exclude_unset=True)
    if "allowed_customer_ids" in updates:
        updates["allowed_customer_ids"] = _customer_refs(updates["allowed_customer_ids"])

    def handle() -> Outcome:
        user = _load_user_to_manage(store, context, target)
        if expected_version is not None and user.version != expected_version:
            raise PreconditionFailed(f"the user is at version {user.version}", field="If-Match")
        changes = dict(updates)
        permissions = parse_permissions(changes.get("permissions", user.permissions))
        if {"role", "permissions"} & changes.keys():
            if user.id == actor.user_id:
                raise Forbidden("you cannot change your own role or permissions")
            reseller = load(store, reseller_id(user.reseller_number), Reseller, "reseller")
            policy = load_team_policy(store, reseller)
            role = resolve_role(policy, changes.get("role", user.custom_role or user.role))
            _check_no_escalation(context, role, permissions)
            changes["role"], changes["custom_role"] = role.base.value, role.custom
        user.change_profile(**changes)
        return _user_outcome(user)

    return run_command(
        store,
        context,
        handle,
        fingerprint("modify_user", target, expected_version, command.model_dump(mode="json")),
    )


def set_user_enabled(
    store: Store,
    auth: AuthServices,
    context: RequestContext,
    target: uuid.UUID,
    enabled: bool,
    reason: str | None = None,
) -> CommandResult:
    actor = context.principal
    if target == actor.user_id:
        raise Forbidden("you cannot disable or enable yourself")

    def handle() -> Outcome:
        user = _load_user_to_manage(store, context, target)
        if enabled:
            user.enable()
        else:
            user.disable(reason)
        return _user_outcome(user)

    result = run_command(store, context, handle, fingerprint("enable", target, enabled, reason))
    if not enabled and not result.replayed:
        auth.sessions.revoke_all(target, context.received_at, "user_disabled")
    return result


def reset_password(
    store: Store, auth: AuthServices, context: RequestContext, target: uuid.UUID
) -> dict[str, Any]:
    """A new temporary password, shown once; the user must change it, and every session ends."""
    if context.idempotency_key is not None:
        raise Unprocessable(
            "password resets take no Idempotency-Key (the response holds a secret)",
            field="Idempotency-Key",
        )
    temporary = secrets.token_urlsafe(12) + "-Aa1"
    new_hash = hash_password(temporary)

    def handle() -> Outcome:
        user = _load_user_to_manage(store, context, target)
        user.set_password_hash(new_hash, must_change=True)
        return _user_outcome(user)

    run_command(store, context, handle, fingerprint("reset_password", target, new_hash))
    revoke_sessions(store, auth, context, target, None, "password_reset")
    return {"user_id": str(target), "temporary_password": temporary, "must_change_password": True}


def grant_permission(
    store: Store, context: RequestContext, target: uuid.UUID, command: GrantPermission
) -> CommandResult:
    actor = context.principal
    permission = Permission(parse_permissions([command.permission])[0])

    def handle() -> Outcome:
        user = _load_user_to_manage(store, context, target)
        if not actor.is_isp_admin and permission not in actor.permissions:
            raise Forbidden(f"you cannot grant {permission.value}: you do not hold it")
        check_within_template(Role(user.role), [permission.value], field="permission")
        user.grant_temporarily(permission.value, command.expires_at, context.received_at)
        body = user_view(user) | {
            "grants": {p: until.isoformat() for p, until in user.grants.items()}
        }
        return Outcome(
            [user], body, user.tenant_number, user.reseller_number, personal_subject=user.id
        )

    return run_command(
        store, context, handle, fingerprint("grant", target, command.model_dump(mode="json"))
    )


def revoke_user_sessions(
    store: Store, auth: AuthServices, context: RequestContext, target: uuid.UUID
) -> dict[str, Any]:
    _load_user_to_manage(store, context, target)
    revoked = revoke_sessions(store, auth, context, target, None, "revoked_by_admin")
    return {"user_id": str(target), "revoked_sessions": revoked}


def get_user(store: Store, context: RequestContext, target: uuid.UUID) -> dict[str, Any]:
    return user_view(_load_user_in_scope(store, context, target, Permission.USER_VIEW))


def change_security_settings(
    store: Store, context: RequestContext, command: SecuritySettings, reseller_number: int | None
) -> CommandResult:
    actor = context.principal
    number = actor.reseller_in_scope(reseller_number)
    actor.require(Permission.USER_MANAGE)
    if command.manage_sub_resellers is not None:
        actor.require(Permission.SUB_RESELLER_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        policy = load_team_policy(store, reseller)
        changed = policy.change_security_settings(
            command.require_two_factor, command.manage_sub_resellers
        )
        body = {
            "reseller_id": number,
            "require_two_factor": policy.require_two_factor,
            "manage_sub_resellers": policy.manage_sub_resellers,
        }
        # An unchanged policy that is only carried over stays unsaved.
        return Outcome([policy] if changed else [], body, reseller.root_number, number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("security_settings", number, command.model_dump(mode="json")),
    )


class DefineRole(CommandModel):
    name: str = Field(min_length=2, max_length=40, examples=["billing-clerk"])
    base_role: str = Field(examples=["user"], description="The built-in role whose rank it has")
    permissions: list[str] = Field(min_length=1, max_length=64)


def roles_view(policy: TeamPolicy) -> dict[str, Any]:
    built_in = {
        role.value: {"base_role": role.value, "permissions": sorted(ROLE_PERMISSIONS[role])}
        for role in (Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY)
    }
    return {
        "reseller_id": policy.reseller_number,
        "built_in": built_in,
        "custom": policy.custom_roles,
    }


def _check_custom_role_rank(context: RequestContext, policy: TeamPolicy, name: str) -> None:
    """Redefining or removing a custom role acts on everyone holding it: only below one's rank."""
    existing = policy.custom_roles.get(name.strip().lower())
    if existing is None:
        return
    refusal = role_assignment_refusal(context.principal.role, Role(existing["base_role"]))
    if refusal is not None:
        raise Forbidden(refusal, field="name")


def define_role(
    store: Store, context: RequestContext, command: DefineRole, reseller_number: int | None
) -> CommandResult:
    actor = context.principal
    number = actor.reseller_in_scope(reseller_number)
    actor.require(Permission.USER_MANAGE)
    base = parse_role(command.base_role)
    permissions = parse_permissions(command.permissions)
    _check_no_escalation(
        context,
        ResolvedRole(base, None, frozenset(Permission(p) for p in permissions)),
        permissions,
    )

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        policy = load_team_policy(store, reseller)
        _check_custom_role_rank(context, policy, command.name)
        policy.define_custom_role(command.name, base.value, permissions)
        return Outcome([policy], roles_view(policy), reseller.root_number, number, 201)

    return run_command(
        store, context, handle, fingerprint("define_role", number, command.model_dump(mode="json"))
    )


def remove_role(
    store: Store, context: RequestContext, name: str, reseller_number: int | None
) -> CommandResult:
    actor = context.principal
    number = actor.reseller_in_scope(reseller_number)
    actor.require(Permission.USER_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        policy = load_team_policy(store, reseller)
        _check_custom_role_rank(context, policy, name)
        policy.remove_custom_role(name)
        return Outcome([policy], roles_view(policy), reseller.root_number, number)

    return run_command(store, context, handle, fingerprint("remove_role", number, name))


def list_roles(
    store: Store, context: RequestContext, reseller_number: int | None
) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.USER_VIEW)
    reseller = load(store, reseller_id(number), Reseller, "reseller")
    return roles_view(load_team_policy(store, reseller))
