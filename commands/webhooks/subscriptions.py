"""Webhook subscriptions (issue 16): a reseller's admins (or the master ISP, for every
reseller) subscribe a URL to public event types, rotate its secret, disable and enable it, and
ask for replays and redeliveries.

The secret is generated here and shown once, in the response to the creation (or rotation)
that made it; it is stored encrypted with the service's secret box. Those two responses are
therefore never kept for replay: they refuse an Idempotency-Key, like token issuance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from pydantic import Field

from commands.errors import NotFound, Unprocessable
from commands.models import CommandModel
from commands.ports import SecretBox
from commands.principal import Principal, RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access.roles import Permission
from domain.ledger.ids import NO_TENANT
from domain.partners.reseller import Reseller, reseller_id
from domain.webhooks.signing import new_secret
from domain.webhooks.subscription import MAX_REASON, WebhookSubscription
from domain.webhooks.targets import MAX_URL


class CreateSubscription(CommandModel):
    url: str = Field(min_length=1, max_length=MAX_URL)
    event_types: list[str] = Field(min_length=1, max_length=50)
    reseller_id: int | None = Field(
        default=None, ge=1, description="Absent for the master ISP: its own, all-reseller one"
    )


class ChangeSubscription(CommandModel):
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)


class DisableSubscription(CommandModel):
    reason: str = Field(default="disabled by an administrator", min_length=1, max_length=MAX_REASON)


class RequestReplay(CommandModel):
    after_position: int = Field(ge=0, description="Re-deliver every matching event after it")


def subscription_view(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "subscription_id": str(subscription.id),
        "reseller_id": subscription.reseller_number,
        "url": subscription.url,
        "event_types": subscription.event_types,
        "active": subscription.active,
        "disabled_reason": subscription.disabled_reason,
        "rotating": subscription.rotating,
        "version": subscription.version,
    }


def subscriber_in_scope(principal: Principal, reseller_number: int | None) -> int | None:
    """The reseller whose subscriptions a request is about; None: the master ISP's own."""
    if principal.in_isp_realm and reseller_number is None:
        return None
    return principal.reseller_in_scope(reseller_number)


def _refuse_key(context: RequestContext, what: str) -> None:
    if context.idempotency_key is not None:
        raise Unprocessable(
            f"{what} does not take an Idempotency-Key (the response holds a secret)",
            field="Idempotency-Key",
        )


def _outcome(subscription: WebhookSubscription, body: dict[str, Any], status: int) -> Outcome:
    return Outcome(
        [subscription], body, subscription.tenant_number, subscription.reseller_number, status
    )


def create_subscription(
    store: Store, box: SecretBox, context: RequestContext, command: CreateSubscription
) -> CommandResult:
    principal = context.principal
    number = subscriber_in_scope(principal, command.reseller_id)
    principal.require(Permission.WEBHOOK_MANAGE)
    _refuse_key(context, "creating a subscription")
    secret = new_secret()

    def handle() -> Outcome:
        tenant = NO_TENANT
        if number is not None:
            tenant = load(store, reseller_id(number), Reseller, "reseller").root_number
        subscription = WebhookSubscription.subscribe(
            number, tenant, command.url, command.event_types, box.encrypt(secret)
        )
        return _outcome(subscription, {**subscription_view(subscription), "secret": secret}, 201)

    return run_command(store, context, handle, fingerprint("create_subscription", secret))


def load_subscription(
    store: Store, principal: Principal, subscription_id: UUID
) -> WebhookSubscription:
    """The subscription, when the caller may see it (else not found), and may manage it."""
    subscription = load(store, subscription_id, WebhookSubscription, "webhook subscription")
    number = subscription.reseller_number
    if (number is None and not principal.in_isp_realm) or (
        number is not None and not principal.sees_reseller(number)
    ):
        raise NotFound("webhook subscription not found")
    principal.require(Permission.WEBHOOK_MANAGE)
    return subscription


def subscription(store: Store, context: RequestContext, subscription_id: UUID) -> dict[str, Any]:
    return subscription_view(load_subscription(store, context.principal, subscription_id))


Change = Callable[[WebhookSubscription], dict[str, Any] | None]
"""Applies a change to a loaded subscription; what it returns joins the response."""


def _changing(
    store: Store,
    context: RequestContext,
    subscription_id: UUID,
    name: str,
    change: Change,
    status: int = 200,
    *detail: object,
) -> CommandResult:
    def handle() -> Outcome:
        found = load_subscription(store, context.principal, subscription_id)
        extra = change(found) or {}
        return _outcome(found, {**subscription_view(found), **extra}, status)

    return run_command(store, context, handle, fingerprint(name, subscription_id, *detail))


def change_subscription(
    store: Store, context: RequestContext, subscription_id: UUID, command: ChangeSubscription
) -> CommandResult:
    return _changing(
        store,
        context,
        subscription_id,
        "change_subscription",
        lambda s: s.change(command.url, command.event_types),
        200,
        command.model_dump(mode="json"),
    )


def rotate_secret(
    store: Store, box: SecretBox, context: RequestContext, subscription_id: UUID
) -> CommandResult:
    """A new secret, shown once; the previous one keeps signing until it is retired."""
    _refuse_key(context, "rotating a secret")
    secret = new_secret()

    def rotate(found: WebhookSubscription) -> dict[str, Any]:
        found.rotate_secret(box.encrypt(secret))
        return {"rotating": True, "secret": secret}

    return _changing(store, context, subscription_id, "rotate_secret", rotate, 200, secret)


def retire_previous_secret(
    store: Store, context: RequestContext, subscription_id: UUID
) -> CommandResult:
    return _changing(
        store,
        context,
        subscription_id,
        "retire_previous_secret",
        lambda s: s.retire_previous_secret(),
    )


def disable_subscription(
    store: Store,
    context: RequestContext,
    subscription_id: UUID,
    command: DisableSubscription,
    automatic: bool = False,
) -> CommandResult:
    """`automatic`: the delivery worker's, after sustained failure."""
    return _changing(
        store,
        context,
        subscription_id,
        "disable_subscription",
        lambda s: s.disable(command.reason, automatic),
        200,
        command.reason,
        automatic,
    )


def enable_subscription(
    store: Store, context: RequestContext, subscription_id: UUID
) -> CommandResult:
    return _changing(store, context, subscription_id, "enable_subscription", lambda s: s.enable())


def request_replay(
    store: Store, context: RequestContext, subscription_id: UUID, command: RequestReplay
) -> CommandResult:
    """Accepted (202): the outbox re-queues the deliveries, the worker sends them in order."""

    def replay(found: WebhookSubscription) -> dict[str, Any]:
        found.request_replay(command.after_position)
        return {"replay_after": command.after_position}

    return _changing(
        store,
        context,
        subscription_id,
        "request_replay",
        replay,
        202,
        command.after_position,
    )


def request_redelivery(
    store: Store, context: RequestContext, subscription_id: UUID, position: int
) -> CommandResult:
    """Accepted (202): the delivery of the event at `position` goes out again."""
    if position < 1:
        raise Unprocessable("position must be at least 1", field="position")

    def redeliver(found: WebhookSubscription) -> dict[str, Any]:
        found.request_redelivery(position)
        return {"redeliver_position": position}

    return _changing(
        store,
        context,
        subscription_id,
        "request_redelivery",
        redeliver,
        202,
        position,
    )
