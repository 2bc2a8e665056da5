"""Seed §1.2: your two-factor (TOTP) enrollment: start, confirm, disable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Context, ExactJSONRoute, Services
from api.schemas import PROBLEMS
from commands.access.auth import (
    ConfirmTwoFactor,
    ReAuthenticate,
    confirm_two_factor,
    disable_two_factor,
    start_two_factor,
)

router = APIRouter(prefix="/reseller/auth", tags=["auth"], route_class=ExactJSONRoute)


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
