"""Webhook subscriptions built through the command layer, and their routes for the
authorization matrix."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from commands.webhooks.subscriptions import (
    CreateSubscription,
    DisableSubscription,
    create_subscription,
    disable_subscription,
    rotate_secret,
)
from domain.access.roles import Permission as P
from infra.auth_store import FernetBox
from tests.support.builders import context

TEST_BOX = FernetBox("test-only-secret-key-0123456789abcdef")
"""The API's box in tests (tests/conftest.py's TEST_SECRET_KEY)."""
URL = "https://hooks.example.com/ledger"
BASE = "/reseller/api/webhooks/subscriptions"


def new_subscription(
    store: Any, number: int | None, url: str = URL, event_types: list[str] | None = None
) -> dict[str, Any]:
    """A subscription of reseller `number` (None: the master ISP's); its view with the secret."""
    result = create_subscription(
        store,
        TEST_BOX,
        context(),
        CreateSubscription(
            url=url,
            event_types=event_types or ["invoice.issued", "payment.received"],
            reseller_id=number,
        ),
    )
    return dict(json.loads(result.body))


def _subscription(store: Any, number: int) -> str:
    return str(new_subscription(store, number)["subscription_id"])


def _rotating(store: Any, number: int) -> str:
    subscription_id = _subscription(store, number)
    rotate_secret(store, TEST_BOX, context(), uuid.UUID(subscription_id))
    return subscription_id


def _disabled(store: Any, number: int) -> str:
    subscription_id = _subscription(store, number)
    disable_subscription(store, context(), uuid.UUID(subscription_id), DisableSubscription())
    return subscription_id


def queued_delivery(store: Any, number: int) -> tuple[str, int]:
    """A subscription of reseller `number` with one queued delivery (projected): its id and
    the delivery's position."""
    subscription_id = new_subscription(store, number, event_types=["customer.status_changed"])[
        "subscription_id"
    ]
    _wait(
        store,
        "SELECT 1 FROM proj_webhooks.subscriptions WHERE subscription_id = %s",
        subscription_id,
    )
    created = create_customer(
        store,
        context(),
        CreateCustomer(customer_type="person", first_name="W", last_name="Q", reseller_id=number),
    )
    changed = change_customer_status(
        store,
        context(),
        uuid.UUID(json.loads(created.body)["customer_id"]),
        ChangeCustomerStatus(status="active"),
    )
    position = int(changed.position or 0)
    _wait(
        store,
        "SELECT 1 FROM ledger_webhook_state.deliveries WHERE subscription_id = %s"
        " AND position = %s",
        subscription_id,
        position,
    )
    return subscription_id, position


def _wait(store: Any, query: str, *params: Any) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with store.recorder.datastore.get_connection() as conn:
            if conn.execute(query, params).fetchone() is not None:
                return
        time.sleep(0.02)
    raise AssertionError(f"never projected: {query} {params}")


def _redeliver_url(store: Any, number: int) -> str:
    subscription_id, position = queued_delivery(store, number)
    return f"{BASE}/{subscription_id}/deliveries/{position}/redeliver"


def webhooks_policy(
    scoped: Callable[..., Any], own: Callable[..., Any]
) -> dict[tuple[str, str], Any]:
    manage = P.WEBHOOK_MANAGE
    one = BASE + "/{subscription_id}"
    return {
        ("GET", "/reseller/api/webhooks/event-types"): own(
            lambda s: ("/reseller/api/webhooks/event-types", None, None)
        ),
        ("POST", BASE): scoped(
            manage,
            lambda s, n: (
                BASE,
                None,
                {"url": URL, "event_types": ["payout.paid"], "reseller_id": n},
            ),
        ),
        ("GET", BASE): scoped(manage, lambda s, n: (BASE, {"reseller_id": n}, None)),
        ("GET", one): scoped(manage, lambda s, n: (f"{BASE}/{_subscription(s, n)}", None, None)),
        ("PATCH", one): scoped(
            manage,
            lambda s, n: (f"{BASE}/{_subscription(s, n)}", None, {"event_types": ["payout.paid"]}),
        ),
        ("POST", one + "/rotate-secret"): scoped(
            manage, lambda s, n: (f"{BASE}/{_subscription(s, n)}/rotate-secret", None, None)
        ),
        ("POST", one + "/retire-previous-secret"): scoped(
            manage, lambda s, n: (f"{BASE}/{_rotating(s, n)}/retire-previous-secret", None, None)
        ),
        ("POST", one + "/disable"): scoped(
            manage, lambda s, n: (f"{BASE}/{_subscription(s, n)}/disable", None, {})
        ),
        ("POST", one + "/enable"): scoped(
            manage, lambda s, n: (f"{BASE}/{_disabled(s, n)}/enable", None, None)
        ),
        ("GET", one + "/deliveries"): scoped(
            manage,
            lambda s, n: (f"{BASE}/{_subscription(s, n)}/deliveries", {"after_position": 0}, None),
        ),
        ("POST", one + "/deliveries/{position}/redeliver"): scoped(
            manage,
            lambda s, n: (_redeliver_url(s, n), None, None),
        ),
        ("POST", one + "/replay"): scoped(
            manage,
            lambda s, n: (f"{BASE}/{_subscription(s, n)}/replay", None, {"after_position": 0}),
        ),
    }
