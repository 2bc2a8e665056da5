"""Seed §7: the reseller's team members: create, modify, disable and enable, grants, password
resets and their sessions."""

from __future__ import annotations

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
from api.routers.access.params import ResellerFilter
from api.routers.access.schemas import UserOut, UserWithGrantsOut
from api.schemas import PROBLEMS
from commands.access.users import (
    CreateUser,
    DisableUser,
    GrantPermission,
    ModifyUser,
    create_user,
    get_user,
    grant_permission,
    modify_user,
    reset_password,
    revoke_user_sessions,
    set_user_enabled,
)
from domain.access.roles import Permission
from projections.access.users import list_users

router = APIRouter(prefix="/reseller/api", tags=["users"], route_class=ExactJSONRoute)


@router.post("/users", status_code=201, response_model=UserOut, responses=PROBLEMS)
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


@router.get(
    "/users/{user_id}", response_model=None, responses={**PROBLEMS, 200: {"model": UserOut}}
)
def read(user_id: str, context: Context, services: Services) -> dict[str, Any]:
    return get_user(services.store, context, parse_uuid(user_id, "user"))


@router.patch("/users/{user_id}", response_model=UserOut, responses=PROBLEMS)
def modify(
    user_id: str, command: ModifyUser, context: Context, services: Services, expected: IfMatch
) -> Response:
    target = parse_uuid(user_id, "user")
    return command_response(modify_user(services.store, context, target, command, expected))


@router.post("/users/{user_id}/disable", response_model=UserOut, responses=PROBLEMS)
def disable(user_id: str, command: DisableUser, context: Context, services: Services) -> Response:
    """Disable a user: every session ends at once."""
    target = parse_uuid(user_id, "user")
    return command_response(
        set_user_enabled(services.store, services.auth, context, target, False, command.reason)
    )


@router.post("/users/{user_id}/enable", response_model=UserOut, responses=PROBLEMS)
def enable(user_id: str, context: Context, services: Services) -> Response:
    target = parse_uuid(user_id, "user")
    return command_response(set_user_enabled(services.store, services.auth, context, target, True))


@router.post("/users/{user_id}/reset-password", responses=PROBLEMS)
def reset(user_id: str, context: Context, services: Services) -> dict[str, Any]:
    """A temporary password, shown once; the user must change it."""
    return reset_password(services.store, services.auth, context, parse_uuid(user_id, "user"))


@router.post("/users/{user_id}/grants", response_model=UserWithGrantsOut, responses=PROBLEMS)
def grant(user_id: str, command: GrantPermission, context: Context, services: Services) -> Response:
    """A permission until `expires_at`; it lapses by itself."""
    target = parse_uuid(user_id, "user")
    return command_response(grant_permission(services.store, context, target, command))


@router.post("/users/{user_id}/sessions/revoke", responses=PROBLEMS)
def revoke_sessions_of(user_id: str, context: Context, services: Services) -> dict[str, Any]:
    """End every session of a team member."""
    target = parse_uuid(user_id, "user")
    return revoke_user_sessions(services.store, services.auth, context, target)
