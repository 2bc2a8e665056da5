"""The reseller's security settings: two-factor for the whole team, admins' reach into
sub-resellers' data."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.access.params import ResellerFilter
from api.routers.access.schemas import SecuritySettingsOut
from api.schemas import PROBLEMS
from commands.access.users import SecuritySettings, change_security_settings

router = APIRouter(prefix="/reseller/api", tags=["users"], route_class=ExactJSONRoute)


@router.patch("/settings/security", response_model=SecuritySettingsOut, responses=PROBLEMS)
def security_settings(
    command: SecuritySettings,
    context: Context,
    services: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Require two-factor for the whole team; let admins manage sub-resellers' data."""
    return command_response(change_security_settings(services.store, context, command, reseller_id))
