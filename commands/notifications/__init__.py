"""What users ask of the notification centre: their channel preferences."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from commands.models import CommandModel

KindName = Literal[
    "activation_attention",
    "commission_paid",
    "credit_warning",
    "service_suspended",
    "system_maintenance",
    "policy_update",
    "webhook_disabled",
]
ChannelName = Literal["in_app", "email", "sms"]


class PreferenceChoice(CommandModel):
    type: KindName
    channel: ChannelName
    enabled: bool


class SetPreferences(CommandModel):
    preferences: list[PreferenceChoice] = Field(min_length=1, max_length=21)
