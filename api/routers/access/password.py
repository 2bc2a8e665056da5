"""Seed §1.2: change your own password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Context, ExactJSONRoute, Services
from api.schemas import PROBLEMS
from commands.access.auth import ChangePassword, change_password

router = APIRouter(prefix="/reseller/auth", tags=["auth"], route_class=ExactJSONRoute)


@router.post("/password", responses=PROBLEMS)
def new_password(command: ChangePassword, context: Context, services: Services) -> dict[str, Any]:
    """Change your password (ends every session)."""
    return change_password(services.store, services.auth, context, command)
