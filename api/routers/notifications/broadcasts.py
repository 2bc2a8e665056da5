"""The master ISP's broadcasts (system maintenance, policy updates) to resellers' centres."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS
from commands.notifications.broadcasts import PublishBroadcast, publish_broadcast

router = APIRouter(prefix="/reseller/api", tags=["notifications"], route_class=ExactJSONRoute)


class BroadcastOut(BaseModel):
    broadcast_id: str
    kind: str
    title: str
    body: str
    reseller_ids: list[int]


@router.post("/broadcasts", response_model=BroadcastOut, status_code=201, responses=PROBLEMS)
def publish(command: PublishBroadcast, context: Context, services: Services) -> Response:
    """Publish to every reseller (`reseller_ids` empty) or to the ones named."""
    return command_response(publish_broadcast(services.store, context, command))
