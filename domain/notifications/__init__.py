"""The notification centre's rules: which events tell a reseller's users something, and through
which channels each user wants to hear it (seed §2.3). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class NotificationType(StrEnum):
    ACTIVATION_ATTENTION = "activation_attention"
    COMMISSION_PAID = "commission_paid"
    CREDIT_WARNING = "credit_warning"
    SERVICE_SUSPENDED = "service_suspended"
    SYSTEM_MAINTENANCE = "system_maintenance"
    POLICY_UPDATE = "policy_update"
    WEBHOOK_DISABLED = "webhook_disabled"


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"


DEFAULT_CHANNELS: Mapping[NotificationType, frozenset[Channel]] = {
    NotificationType.ACTIVATION_ATTENTION: frozenset({Channel.IN_APP}),
    NotificationType.COMMISSION_PAID: frozenset({Channel.IN_APP, Channel.EMAIL}),
    # Money at risk: the one type that reaches the mailbox unless a user turns it off.
    NotificationType.CREDIT_WARNING: frozenset({Channel.IN_APP, Channel.EMAIL}),
    NotificationType.SERVICE_SUSPENDED: frozenset({Channel.IN_APP, Channel.EMAIL}),
    NotificationType.SYSTEM_MAINTENANCE: frozenset({Channel.IN_APP, Channel.EMAIL}),
    NotificationType.POLICY_UPDATE: frozenset({Channel.IN_APP, Channel.EMAIL}),
    NotificationType.WEBHOOK_DISABLED: frozenset({Channel.IN_APP, Channel.EMAIL}),
}


def channels_for(
    kind: NotificationType, preferences: Mapping[tuple[str, str], bool]
) -> frozenset[Channel]:
    """A user's channels for one type: their stated preference per channel, else the default."""
    chosen = set()
    for channel in Channel:
        stated = preferences.get((kind.value, channel.value))
        if stated is None:
            stated = channel in DEFAULT_CHANNELS[kind]
        if stated:
            chosen.add(channel)
    return frozenset(chosen)


@dataclass(frozen=True, slots=True)
class Draft:
    """One notification an event gives rise to. `reseller` None means every reseller (an ISP
    broadcast to all); `audience` lists the resellers of a broadcast to some."""

    kind: NotificationType
    reseller: int | None
    title: str
    body: str
    audience: tuple[int, ...] = ()


def _credit_warning(tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    raised = [str(level) for level in data.get("raised", [])]
    if not raised:
        return []  # a level cleared (a payment): nothing to warn about
    utilization = data.get("utilization_pct", "?")
    return [
        Draft(
            NotificationType.CREDIT_WARNING,
            tenant,
            f"Credit utilization reached {max(raised, key=float)}%",
            f"Your credit account is at {utilization}% of its limit.",
        )
    ]


def _customer_status(tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    if data.get("to_status") != "suspended":
        return []
    reason = data.get("reason") or "no reason given"
    return [
        Draft(
            NotificationType.SERVICE_SUSPENDED,
            tenant,
            "A customer's service was suspended",
            f"Suspended: {reason}.",
        )
    ]


def _registered(tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    portal_id = data.get("portal_id", "")
    return [
        Draft(
            NotificationType.ACTIVATION_ATTENTION,
            tenant,
            f"New customer {portal_id} awaits activation",
            f"Customer {portal_id} was registered and needs its service activated.",
        )
    ]


def _payout_paid(tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    gross = data.get("gross_commission") or {}
    return [
        Draft(
            NotificationType.COMMISSION_PAID,
            tenant,
            f"Commission for {data.get('cycle', '')} paid",
            f"{gross.get('amount', '')} {gross.get('currency', '')} commission was paid on "
            f"{data.get('paid_on', '')}.",
        )
    ]


def _broadcast(tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    audience = tuple(int(n) for n in data.get("reseller_ids") or ())
    return [
        Draft(
            NotificationType(data["kind"]),
            None,
            str(data["title"]),
            str(data["body"]),
            audience,
        )
    ]


def _webhook_disabled(tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    """Only the worker's own disabling (sustained failure): an admin who disabled it knows."""
    if not data.get("automatic"):
        return []
    return [
        Draft(
            NotificationType.WEBHOOK_DISABLED,
            tenant,
            "A webhook subscription was disabled",
            f"Deliveries stopped: {data.get('reason', '')}. Enable the subscription to resume "
            "from the first event not delivered.",
        )
    ]


_RULES = {
    "CreditAccount.AlertsChanged": _credit_warning,
    "Customer.StatusChanged": _customer_status,
    "Customer.Registered": _registered,
    "Payout.Paid": _payout_paid,
    "Broadcast.Published": _broadcast,
    "WebhookSubscription.Disabled": _webhook_disabled,
}
NOTIFYING_EVENTS = frozenset(_RULES)


def drafts_for(event_type: str, tenant: int, data: Mapping[str, Any]) -> list[Draft]:
    rule = _RULES.get(event_type)
    return [] if rule is None else rule(tenant, data)
