"""A subscription's delivery log (each attempt's response code), redelivery of one delivery
and replay from a position."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import Context, ExactJSONRoute, ReadConnection, Services, command_response, parse_uuid
from api.routers.webhooks.subscriptions import WHAT, SubscriptionOut
from api.schemas import PROBLEMS
from commands.errors import NotFound
from commands.webhooks import subscriptions as commands
from projections.webhooks.outbox import delivery_log, has_delivery

router = APIRouter(
    prefix="/reseller/api/webhooks/subscriptions", tags=["webhooks"], route_class=ExactJSONRoute
)


class AttemptOut(BaseModel):
    attempt: int
    at: str
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    delivery_id: str
    """The `webhook-id` header: the same on every attempt, redelivery and replay."""
    position: int
    event_type: str
    status: str
    """pending, delivered or failed (attempts exhausted)."""
    attempts: int
    last_status: int | None
    last_error: str | None
    delivered_at: str | None
    next_attempt_at: str
    attempt_log: list[AttemptOut]


class ReplayOut(SubscriptionOut):
    replay_after: int


class RedeliveryOut(SubscriptionOut):
    redeliver_position: int


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryOut], responses=PROBLEMS)
def deliveries(
    subscription_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    after_position: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The deliveries after `after_position`, in order, each with its attempts."""
    found = commands.subscription(s.store, context, parse_uuid(subscription_id, WHAT))
    return delivery_log(conn, parse_uuid(found["subscription_id"], WHAT), after_position, limit)


@router.post(
    "/{subscription_id}/deliveries/{position}/redeliver",
    response_model=RedeliveryOut,
    status_code=202,
    responses=PROBLEMS,
)
def redeliver(
    subscription_id: str, position: int, context: Context, s: Services, conn: ReadConnection
) -> Response:
    """Send the delivery of the event at `position` again (same `webhook-id`); 404 when the
    subscription has no delivery there."""
    subscription = parse_uuid(subscription_id, WHAT)
    commands.subscription(s.store, context, subscription)  # in reach, or 404 / 403 first
    if not has_delivery(conn, subscription, position):
        raise NotFound(f"no delivery at position {position}", field="position")
    return command_response(commands.request_redelivery(s.store, context, subscription, position))


@router.post(
    "/{subscription_id}/replay", response_model=ReplayOut, status_code=202, responses=PROBLEMS
)
def replay(
    subscription_id: str, command: commands.RequestReplay, context: Context, s: Services
) -> Response:
    """Re-deliver, in order, every event of the subscription after `after_position`."""
    return command_response(
        commands.request_replay(s.store, context, parse_uuid(subscription_id, WHAT), command)
    )
