"""Webhook subscriptions (issue 16): create (the secret shown once), read, change, rotate and
retire secrets, disable and enable. A reseller's admins manage their reseller's; the master
ISP names a reseller, or none for its own subscription to every reseller's events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    WaitTimeout,
    command_response,
    parse_uuid,
    wait_until,
)
from api.schemas import PROBLEMS
from commands.webhooks import subscriptions as commands
from domain.access.roles import Permission
from domain.webhooks.catalogue import CATALOGUE, SCHEMA_VERSION
from projections.webhooks.outbox import WebhooksProjector, subscriptions_of

router = APIRouter(prefix="/reseller/api/webhooks", tags=["webhooks"], route_class=ExactJSONRoute)
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]
WHAT = "webhook subscription"


class SubscriptionOut(BaseModel):
    subscription_id: str
    reseller_id: int | None
    url: str
    event_types: list[str]
    active: bool
    disabled_reason: str | None
    rotating: bool
    """Two secrets sign until the previous one is retired."""
    version: int


class SubscriptionSecretOut(SubscriptionOut):
    secret: str
    """Shown only in this response: keep it to verify signatures."""


class SubscriptionListItem(BaseModel):
    subscription_id: str
    reseller_id: int | None
    url: str
    event_types: list[str]
    active: bool
    disabled_reason: str | None
    rotating: bool


class EventTypesOut(BaseModel):
    schema_version: str
    event_types: list[str]


@router.get("/event-types", response_model=EventTypesOut, responses=PROBLEMS)
def event_types(context: Context) -> dict[str, Any]:
    """The public event catalogue a subscription may name."""
    return {"schema_version": SCHEMA_VERSION, "event_types": sorted(CATALOGUE)}


@router.post(
    "/subscriptions", response_model=SubscriptionSecretOut, status_code=201, responses=PROBLEMS
)
def create(command: commands.CreateSubscription, context: Context, s: Services) -> Response:
    """Subscribe a URL to event types of the catalogue. The response holds the secret, once;
    no Idempotency-Key (it would keep the secret)."""
    return command_response(commands.create_subscription(s.store, s.auth.box, context, command))


@router.get("/subscriptions", response_model=list[SubscriptionListItem], responses=PROBLEMS)
def list_subscriptions(
    context: Context,
    s: Services,
    conn: ReadConnection,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    wait_for_position: Wait = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> list[dict[str, Any]]:
    """The reseller's subscriptions (the master ISP without `reseller_id`: its own)."""
    number = commands.subscriber_in_scope(context.principal, reseller_id)
    context.principal.require(Permission.WEBHOOK_MANAGE)
    wait_until(s, conn, WebhooksProjector, wait_for_position, number, wait_timeout_ms)
    return subscriptions_of(conn, number)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut, responses=PROBLEMS)
def read(subscription_id: str, context: Context, s: Services) -> dict[str, Any]:
    return commands.subscription(s.store, context, parse_uuid(subscription_id, WHAT))


@router.patch(
    "/subscriptions/{subscription_id}", response_model=SubscriptionOut, responses=PROBLEMS
)
def change(
    subscription_id: str, command: commands.ChangeSubscription, context: Context, s: Services
) -> Response:
    """Change the URL or the event types (from the next event on)."""
    return command_response(
        commands.change_subscription(s.store, context, parse_uuid(subscription_id, WHAT), command)
    )


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=SubscriptionSecretOut,
    responses=PROBLEMS,
)
def rotate(subscription_id: str, context: Context, s: Services) -> Response:
    """A new secret (shown once): deliveries are signed with both until the previous one is
    retired."""
    return command_response(
        commands.rotate_secret(s.store, s.auth.box, context, parse_uuid(subscription_id, WHAT))
    )


@router.post(
    "/subscriptions/{subscription_id}/retire-previous-secret",
    response_model=SubscriptionOut,
    responses=PROBLEMS,
)
def retire(subscription_id: str, context: Context, s: Services) -> Response:
    """End a rotation: only the new secret signs."""
    return command_response(
        commands.retire_previous_secret(s.store, context, parse_uuid(subscription_id, WHAT))
    )


@router.post(
    "/subscriptions/{subscription_id}/disable", response_model=SubscriptionOut, responses=PROBLEMS
)
def disable(
    subscription_id: str, command: commands.DisableSubscription, context: Context, s: Services
) -> Response:
    """Stop deliveries; what was queued waits until the subscription is enabled."""
    return command_response(
        commands.disable_subscription(s.store, context, parse_uuid(subscription_id, WHAT), command)
    )


@router.post(
    "/subscriptions/{subscription_id}/enable", response_model=SubscriptionOut, responses=PROBLEMS
)
def enable(subscription_id: str, context: Context, s: Services) -> Response:
    """Resume deliveries, in order, from the first one not delivered."""
    return command_response(
        commands.enable_subscription(s.store, context, parse_uuid(subscription_id, WHAT))
    )
