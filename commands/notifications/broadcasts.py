"""The master ISP's broadcasts to all or some resellers (seed §2.3)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import uuid4

from pydantic import Field

from commands.errors import Forbidden, Unprocessable
from commands.models import CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists
from domain.access.roles import Permission
from domain.ledger.ids import NO_TENANT
from domain.notifications.broadcast import MAX_AUDIENCE, Broadcast
from domain.partners.reseller import reseller_id


class PublishBroadcast(CommandModel):
    kind: Literal["system_maintenance", "policy_update"]
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=4000)
    reseller_ids: list[int] = Field(default_factory=list, max_length=MAX_AUDIENCE)
    """Empty: every reseller."""


def broadcast_view(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "broadcast_id": str(broadcast.id),
        "kind": broadcast.kind,
        "title": broadcast.title,
        "body": broadcast.body,
        "reseller_ids": broadcast.reseller_ids,
    }


def publish_broadcast(
    store: Store, context: RequestContext, command: PublishBroadcast
) -> CommandResult:
    principal = context.principal
    if not principal.in_isp_realm:
        raise Forbidden("only the master ISP broadcasts")
    principal.require(Permission.RESELLER_MANAGE)

    def handle() -> Outcome:
        unknown = [n for n in command.reseller_ids if not exists(store, reseller_id(n))]
        if unknown:
            raise Unprocessable(f"no reseller {unknown[0]}", field="reseller_ids")
        broadcast = Broadcast.publish(
            uuid4(), command.kind, command.title, command.body, command.reseller_ids
        )
        return Outcome([broadcast], broadcast_view(broadcast), NO_TENANT, None, 201)

    return run_command(
        store, context, handle, fingerprint("publish_broadcast", command.model_dump_json())
    )
