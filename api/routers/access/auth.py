"""Seed §1.2: login, sessions, logout, password change and two-factor enrollment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import Context, ExactJSONRoute, Services, anonymous_context
from api.schemas import PROBLEMS
from commands.access.auth import (
    ChangePassword,
    ConfirmTwoFactor,
    Login,
    ReAuthenticate,
    change_password,
    confirm_two_factor,
    disable_two_factor,
    list_own_sessions,
    login,
    logout,
    revoke_sessions,
    start_two_factor,
)
from commands.errors import Forbidden

router = APIRouter(prefix="/reseller/auth", tags=["auth"], route_class=ExactJSONRoute)
LOGIN_RESPONSES = {**PROBLEMS, 429: PROBLEMS[422]}


@router.post("/login", responses=LOGIN_RESPONSES)
def log_in(command: Login, request: Request, services: Services) -> dict[str, Any]:
    """Log in with username, password, reseller code and (when enabled) a TOTP or recovery
    code. Returns a session token for `Authorization: Bearer`."""
    context = anonymous_context(request, services)
    return login(services.store, services.auth, context, command)


@router.post("/logout", status_code=204, responses=PROBLEMS)
def log_out(context: Context, services: Services) -> Response:
    logout(services.store, services.auth, context)
    return Response(status_code=204)


@router.get("/sessions", responses=PROBLEMS)
def my_sessions(context: Context, services: Services) -> list[dict[str, Any]]:
    """Your open sessions."""
    return list_own_sessions(services.auth, context)


@router.delete("/sessions/{session_id}", status_code=204, responses=PROBLEMS)
def end_my_session(session_id: str, context: Context, services: Services) -> Response:
    user = context.principal.user_id
    if user is None:
        raise Forbidden("only a logged-in user has sessions")
    revoke_sessions(services.store, services.auth, context, user, [session_id], "revoked_by_user")
    return Response(status_code=204)


@router.post("/password", responses=PROBLEMS)
def new_password(command: ChangePassword, context: Context, services: Services) -> dict[str, Any]:
    """Change your password (ends every session)."""
    return change_password(services.store, services.auth, context, command)


@router.post("/2fa/enroll", responses=PROBLEMS)
def enroll(command: ReAuthenticate, context: Context, services: Services) -> dict[str, Any]:
    """Start TOTP enrollment (re-enter your password): the secret and provisioning URI."""
    return start_two_factor(services.store, services.auth, context, command)


@router.post("/2fa/confirm", responses=PROBLEMS)
def confirm(command: ConfirmTwoFactor, context: Context, services: Services) -> dict[str, Any]:
    """Confirm with a current code: two-factor is on; one-time recovery codes, shown once."""
    return confirm_two_factor(services.store, services.auth, context, command)


@router.post("/2fa/disable", responses=PROBLEMS)
def disable(command: ReAuthenticate, context: Context, services: Services) -> dict[str, Any]:
    return disable_two_factor(services.store, services.auth, context, command)
