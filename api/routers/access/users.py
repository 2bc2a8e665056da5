"""Seed §7: the reseller's team, its security settings, activity and token revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import (
    Context,
    ExactJSONRoute,
    IfMatch,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
)
from api.schemas import PROBLEMS
from commands.access.tokens import list_tokens, revoke_token
from commands.access.users import (
    CreateUser,
    DefineRole,
    DisableUser,
    GrantPermission,
    ModifyUser,
    SecuritySettings,
    change_security_settings,
    create_user,
    define_role,
    get_user,
    grant_permission,
    list_roles,
    modify_user,
    remove_role,
    reset_password,
    revoke_user_sessions,
    set_user_enabled,
)
from commands.errors import Unprocessable
from commands.models import AwareDatetime
from domain.access.roles import Permission
from projections.access.activity import team_performance
from projections.access.users import list_users, login_history

router = APIRouter(prefix="/reseller/api", tags=["users"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]
MAX_PERIOD = timedelta(days=366)


@router.post("/users", status_code=201, responses=PROBLEMS)
def create(command: CreateUser, context: Context, services: Services) -> Response:
    """Add a team member (seed §7.1 JSON)."""
    return command_response(create_user(services.store, services.auth, context, command))


@router.get("/users", responses=PROBLEMS)
def list_(
    context: Context,
    services: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.USER_VIEW)
    return list_users(conn, number, min(limit, services.config.page_size_max), offset)


@router.get("/users/{user_id}", responses=PROBLEMS)
def read(user_id: str, context: Context, services: Services) -> dict[str, Any]:
    return get_user(services.store, context, parse_uuid(user_id, "user"))


@router.patch("/users/{user_id}", responses=PROBLEMS)
def modify(
    user_id: str, command: ModifyUser, context: Context, services: Services, expected: IfMatch
) -> Response:
    target = parse_uuid(user_id, "user")
    return command_response(modify_user(services.store, context, target, command, expected))


@router.post("/users/{user_id}/disable", responses=PROBLEMS)
def disable(user_id: str, command: DisableUser, context: Context, services: Services) -> Response:
    """Disable a user: every session ends at once."""
    target = parse_uuid(user_id, "user")
    return command_response(
        set_user_enabled(services.store, services.auth, context, target, False, command.reason)
    )


@router.post("/users/{user_id}/enable", responses=PROBLEMS)
def enable(user_id: str, context: Context, services: Services) -> Response:
    target = parse_uuid(user_id, "user")
    return command_response(set_user_enabled(services.store, services.auth, context, target, True))


@router.post("/users/{user_id}/reset-password", responses=PROBLEMS)
def reset(user_id: str, context: Context, services: Services) -> dict[str, Any]:
    """A temporary password, shown once; the user must change it."""
    return reset_password(services.store, services.auth, context, parse_uuid(user_id, "user"))


@router.post("/users/{user_id}/grants", responses=PROBLEMS)
def grant(user_id: str, command: GrantPermission, context: Context, services: Services) -> Response:
    """A permission until `expires_at`; it lapses by itself."""
    target = parse_uuid(user_id, "user")
    return command_response(grant_permission(services.store, context, target, command))


@router.post("/users/{user_id}/sessions/revoke", responses=PROBLEMS)
def revoke_sessions_of(user_id: str, context: Context, services: Services) -> dict[str, Any]:
    """End every session of a team member."""
    target = parse_uuid(user_id, "user")
    return revoke_user_sessions(services.store, services.auth, context, target)


@router.patch("/settings/security", responses=PROBLEMS)
def security_settings(
    command: SecuritySettings,
    context: Context,
    services: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Require two-factor for the whole team; let admins manage sub-resellers' data."""
    return command_response(change_security_settings(services.store, context, command, reseller_id))


@router.get("/roles", responses=PROBLEMS)
def roles(
    context: Context, services: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """The built-in role templates and the reseller's custom roles."""
    return list_roles(services.store, context, reseller_id)


@router.post("/roles", status_code=201, responses=PROBLEMS)
def define(
    command: DefineRole, context: Context, services: Services, reseller_id: ResellerFilter = None
) -> Response:
    """Define (or redefine) a custom role: a name, a built-in base role, and permissions."""
    return command_response(define_role(services.store, context, command, reseller_id))


@router.delete("/roles/{name}", responses=PROBLEMS)
def remove(
    name: str, context: Context, services: Services, reseller_id: ResellerFilter = None
) -> Response:
    """Remove a custom role; users who hold it keep no permissions from it."""
    return command_response(remove_role(services.store, context, name, reseller_id))


@router.get("/tokens", responses=PROBLEMS)
def tokens(
    context: Context,
    services: Services,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[dict[str, Any]]:
    """API tokens, newest first (never their secrets): every token of the reseller for a
    `token_issue` holder, otherwise the ones you issued."""
    return list_tokens(services.store, context, reseller_id, limit, offset)


@router.delete("/tokens/{token_id}", responses=PROBLEMS)
def revoke(token_id: str, context: Context, services: Services) -> Response:
    return command_response(revoke_token(services.store, context, parse_uuid(token_id, "token")))


@router.get("/activity/logins", responses=PROBLEMS)
def logins(
    context: Context,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Login history (successes and failures, IP, user agent)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.ACTIVITY_VIEW)
    target = None if user_id is None else str(parse_uuid(user_id, "user"))
    return login_history(conn, number, target, limit)


@router.get("/activity/team", responses=PROBLEMS)
def team(
    context: Context,
    conn: ReadConnection,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    reseller_id: ResellerFilter = None,
) -> list[dict[str, Any]]:
    """Seed §7.3: logins, customer interactions and actions per team member over a period
    (default: the last 30 days)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.ACTIVITY_VIEW)
    until = until or context.received_at
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise Unprocessable("since and until need a time zone", field="since")
    if not since < until <= since + MAX_PERIOD:
        raise Unprocessable("the period must be positive and at most a year", field="since")
    return team_performance(conn, number, since, until)
