"""Per-user choice of channel (in-app, e-mail, SMS) for each notification type."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentPrincipal, ExactJSONRoute, ReadConnection
from api.schemas import PROBLEMS
from commands.notifications import SetPreferences
from domain.notifications import Channel, NotificationType, channels_for
from projections.notifications.projector import preferences_of, set_preferences

router = APIRouter(prefix="/reseller/api", tags=["notifications"], route_class=ExactJSONRoute)


class PreferenceOut(BaseModel):
    type: str
    channels: list[str]


class PreferencesOut(BaseModel):
    preferences: list[PreferenceOut]


def _view(conn: ReadConnection, subject: str) -> PreferencesOut:
    stated = preferences_of(conn, subject)
    return PreferencesOut(
        preferences=[
            PreferenceOut(
                type=kind.value,
                channels=sorted(c.value for c in channels_for(kind, stated)),
            )
            for kind in NotificationType
        ]
    )


@router.get("/notification-preferences", response_model=PreferencesOut, responses=PROBLEMS)
def read_preferences(principal: CurrentPrincipal, conn: ReadConnection) -> PreferencesOut:
    return _view(conn, principal.subject)


@router.put("/notification-preferences", response_model=PreferencesOut, responses=PROBLEMS)
def change_preferences(
    command: SetPreferences, principal: CurrentPrincipal, conn: ReadConnection
) -> PreferencesOut:
    """Only the choices named change; the rest keep their stated value or the default."""
    set_preferences(
        conn,
        principal.subject,
        {(NotificationType(c.type), Channel(c.channel)): c.enabled for c in command.preferences},
    )
    return _view(conn, principal.subject)
