"""The notification centre's routes for the authorization matrix."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from commands.notifications.broadcasts import PublishBroadcast, publish_broadcast
from domain.access.roles import Permission as P
from tests.support.builders import context

Request = tuple[str, dict[str, Any] | None, dict[str, Any] | None]


@dataclass(frozen=True)
class Own:
    """A route on the caller's own things (its centre, its preferences): every authenticated
    principal gets 2xx, and no target reseller is named."""

    build: Callable[[Any], Request]


def broadcast_to_all(store: Any) -> str:
    """A broadcast every principal's centre shows, once projected; its notification id."""
    result = publish_broadcast(
        store,
        context(),
        PublishBroadcast(kind="system_maintenance", title="Matrix", body="window"),
    )
    position = result.position
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with store.recorder.datastore.get_connection() as conn:
            row = conn.execute(
                "SELECT id FROM proj_notifications.notifications WHERE position = %s", (position,)
            ).fetchone()
        if row is not None:
            return str(row["id"])
        time.sleep(0.05)
    raise AssertionError(f"broadcast {json.loads(result.body)} never projected")


def notifications_policy(scoped: Callable[..., Any]) -> dict[tuple[str, str], Any]:
    return {
        ("POST", "/reseller/api/broadcasts"): scoped(
            P.RESELLER_MANAGE,
            lambda s, n: (
                "/reseller/api/broadcasts",
                None,
                {
                    "kind": "policy_update",
                    "title": f"Matrix {uuid.uuid4().hex[:6]}",
                    "body": "terms",
                    "reseller_ids": [n],
                },
            ),
            isp_only=True,
        ),
        ("GET", "/reseller/api/notifications"): Own(
            lambda s: ("/reseller/api/notifications", {"unread_only": "true"}, None)
        ),
        ("GET", "/reseller/api/notifications/unread-count"): Own(
            lambda s: ("/reseller/api/notifications/unread-count", None, None)
        ),
        ("PUT", "/reseller/api/notifications/{notification_id}/read"): Own(
            lambda s: (f"/reseller/api/notifications/{broadcast_to_all(s)}/read", None, None)
        ),
        ("GET", "/reseller/api/notification-preferences"): Own(
            lambda s: ("/reseller/api/notification-preferences", None, None)
        ),
        ("PUT", "/reseller/api/notification-preferences"): Own(
            lambda s: (
                "/reseller/api/notification-preferences",
                None,
                {"preferences": [{"type": "policy_update", "channel": "sms", "enabled": True}]},
            )
        ),
    }
