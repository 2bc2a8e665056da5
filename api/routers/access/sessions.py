"""Seed §1.2: sessions: log in, log out, your open sessions, end one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import Context, ExactJSONRoute, Services, anonymous_context
from api.schemas import PROBLEMS
from commands.access.auth import Login, list_own_sessions, login, logout, revoke_sessions
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
