"""The notification centre: a user's notifications, unread count, read marks (seed §2.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from api.deps import CurrentPrincipal, ExactJSONRoute, ReadConnection
from api.schemas import PROBLEMS
from commands.principal import Principal
from domain.ledger.ids import NO_TENANT
from projections.notifications.projector import mark_read, notifications_for, unread_count

router = APIRouter(prefix="/reseller/api", tags=["notifications"], route_class=ExactJSONRoute)


class NotificationOut(BaseModel):
    id: str
    type: str
    title: str
    body: str
    created_at: str
    read: bool


class NotificationListOut(BaseModel):
    items: list[NotificationOut]
    unread: int


class UnreadCountOut(BaseModel):
    unread: int


def centre_of(principal: Principal) -> int:
    """A principal reads its own reseller's centre; the master ISP's staff read tenant 0's."""
    return principal.reseller_number if principal.reseller_number is not None else NO_TENANT


@router.get("/notifications", response_model=NotificationListOut, responses=PROBLEMS)
def list_notifications(
    principal: CurrentPrincipal,
    conn: ReadConnection,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationListOut:
    reseller = centre_of(principal)
    rows = notifications_for(conn, principal.subject, reseller, unread_only, limit)
    return NotificationListOut(
        items=[NotificationOut(type=row.pop("kind"), **row) for row in rows],
        unread=unread_count(conn, principal.subject, reseller),
    )


@router.get("/notifications/unread-count", response_model=UnreadCountOut, responses=PROBLEMS)
def count_unread(principal: CurrentPrincipal, conn: ReadConnection) -> UnreadCountOut:
    return UnreadCountOut(unread=unread_count(conn, principal.subject, centre_of(principal)))


@router.put(
    "/notifications/{notification_id}/read", response_model=UnreadCountOut, responses=PROBLEMS
)
def read_notification(
    notification_id: str, principal: CurrentPrincipal, conn: ReadConnection
) -> UnreadCountOut:
    """Idempotent: marking a read notification read again changes nothing."""
    reseller = centre_of(principal)
    if len(notification_id) > 40 or not mark_read(
        conn, principal.subject, reseller, notification_id
    ):
        raise HTTPException(404, "no such notification")
    return UnreadCountOut(unread=unread_count(conn, principal.subject, reseller))
