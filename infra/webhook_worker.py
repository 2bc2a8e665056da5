"""The webhook worker (`ledger webhooks`): sends what the webhooks projection queued, one
delivery in flight per subscription, in position order, with bounded retries.

A subscription's next delivery is its pending one of lowest position: it is claimed with SKIP
LOCKED, sent, and its fate recorded in the same transaction, so while it is in flight (or
waiting for its next attempt) nothing later of that subscription goes out, and a worker killed
midway leaves it pending for its successor under the same `webhook-id`. A failed attempt (no
2xx, no answer, or a target the SSRF rules refuse at delivery) waits a doubling pause with
jitter; after `max_attempts` the delivery is `failed` and the subscription is disabled
automatically (an event: the owner's admins are notified); a 410 Gone does so at once. A
failed delivery still holds back the later ones, so nothing is sent past it out of order:
enabling the subscription (or a redelivery, or a replay) puts it back in the queue first.
Every attempt is logged with its response code."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import structlog
from psycopg import Connection

from commands.errors import CommandError
from commands.ports import SecretBox
from commands.runner import Store
from commands.webhooks.subscriptions import DisableSubscription, disable_subscription
from domain.webhooks.subscription import MAX_REASON
from infra.notifier import backoff_s
from infra.runtime import Runtime, cli_context, secret_box
from infra.webhooks import DeliveryResult, TargetRefused, deliver

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WebhookWorkerConfig:
    allow_private: bool = False
    poll_s: float = 0.5
    max_attempts: int = 10
    base_backoff_s: float = 5.0
    max_backoff_s: float = 3_600.0
    timeout_s: float = 10.0


_CLAIM = (
    "SELECT d.delivery_id, d.subscription_id, d.payload, d.attempts, s.url, s.secrets"
    " FROM ledger_webhook_state.deliveries d"
    " JOIN proj_webhooks.subscriptions s ON s.subscription_id = d.subscription_id"
    " WHERE d.status = 'pending' AND s.active AND d.next_attempt_at <= now()"
    " AND NOT EXISTS (SELECT 1 FROM ledger_webhook_state.deliveries e"
    " WHERE e.subscription_id = d.subscription_id AND e.status IN ('pending', 'failed')"
    " AND e.position < d.position)"
    " ORDER BY d.next_attempt_at, d.position LIMIT 1 FOR UPDATE OF d SKIP LOCKED"
)

GONE = 410
"""Standard Webhooks: the receiver asks to stop; the subscription is disabled at once."""

Exhausted = Callable[[UUID, str], None]
"""Called with a subscription whose delivery ran out of attempts, and why."""


def _attempt(
    box: SecretBox,
    url: str,
    sealed: list[str],
    delivery_id: str,
    payload: Any,
    config: WebhookWorkerConfig,
) -> DeliveryResult:
    """One attempt's outcome; whatever goes wrong is a failed attempt, never a dead worker."""
    try:
        secrets = [box.decrypt(secret) for secret in sealed]
        return deliver(url, secrets, delivery_id, payload, config.allow_private, config.timeout_s)
    except TargetRefused as refused:
        return DeliveryResult(None, f"target refused: {refused}"[:500])
    except Exception as error:  # a malformed answer (http.client.HTTPException), a bad key
        return DeliveryResult(None, repr(error)[:500])


def deliver_next(
    conn: Connection[Any], box: SecretBox, config: WebhookWorkerConfig, exhausted: Exhausted
) -> bool:
    """Attempt the next due delivery; False when none is due."""
    gave_up: tuple[UUID, str] | None = None
    with conn.transaction():
        row = conn.execute(_CLAIM).fetchone()
        if row is None:
            return False
        delivery_id, subscription_id, payload, attempts, url, sealed = row
        result = _attempt(box, url, sealed, delivery_id, payload, config)
        tries = attempts + 1
        conn.execute(
            "INSERT INTO ledger_webhook_state.attempts (delivery_id, attempt, status_code, error)"
            " VALUES (%s, %s, %s, %s)",
            (delivery_id, tries, result.status, result.error),
        )
        error = result.error or (None if result.delivered else f"HTTP {result.status}")
        if result.delivered:
            status, pause = "delivered", 0.0
        elif result.status == GONE or tries >= config.max_attempts:
            status, pause = "failed", 0.0
            gave_up = (
                subscription_id,
                "the receiver answered 410 Gone"
                if result.status == GONE
                else f"{tries} failed attempts, the last: {error}",
            )
        else:
            status = "pending"
            pause = backoff_s(tries, config.base_backoff_s, config.max_backoff_s)
        conn.execute(
            "UPDATE ledger_webhook_state.deliveries SET status = %s, attempts = %s,"
            " last_status = %s, last_error = %s,"
            " delivered_at = CASE WHEN %s = 'delivered' THEN now() END,"
            " next_attempt_at = now() + make_interval(secs => %s) WHERE delivery_id = %s",
            (status, tries, result.status, error, status, pause, delivery_id),
        )
    log.info(
        "webhooks.attempt",
        delivery_id=delivery_id,
        status=status,
        attempt=tries,
        response=result.status,
        pause_s=round(pause, 3),
    )
    if gave_up is not None:
        exhausted(*gave_up)
    return True


def run_webhook_worker(
    connect: Callable[[], Connection[Any]],
    box: SecretBox,
    config: WebhookWorkerConfig,
    exhausted: Exhausted,
    stopping: threading.Event,
) -> None:
    while not stopping.is_set():
        try:
            with connect() as conn:
                while not stopping.is_set():
                    if not deliver_next(conn, box, config, exhausted):
                        stopping.wait(config.poll_s)
        except psycopg.Error as error:
            log.warning("webhooks.database_unavailable", error=repr(error)[:200])
            stopping.wait(5.0)


def disabling(store: Store) -> Exhausted:
    """Disable a subscription after sustained failure, as the system (an event of its own)."""

    def exhausted(subscription_id: UUID, reason: str) -> None:
        why = DisableSubscription(reason=f"automatically disabled after {reason}"[:MAX_REASON])
        try:
            disable_subscription(store, cli_context(), subscription_id, why, automatic=True)
        except CommandError as error:  # e.g. deleted meanwhile: nothing left to disable
            log.warning(
                "webhooks.disable_refused", subscription=str(subscription_id), error=str(error)
            )
        log.warning("webhooks.disabled", subscription=str(subscription_id), reason=reason[:200])

    return exhausted


def run_from_runtime(runtime: Runtime, stopping: threading.Event) -> None:
    """`ledger webhooks`: the worker with the runtime's settings, store and secret box."""
    settings = runtime.settings
    run_webhook_worker(
        runtime.connect,
        secret_box(settings),
        worker_config(settings),
        disabling(runtime.store),
        stopping,
    )


def worker_config(settings: Any) -> WebhookWorkerConfig:
    return WebhookWorkerConfig(
        allow_private=settings.webhooks_allow_private_targets,
        poll_s=settings.webhooks_poll_s,
        max_attempts=settings.webhooks_max_attempts,
        base_backoff_s=settings.webhooks_base_backoff_s,
        max_backoff_s=settings.webhooks_max_backoff_s,
        timeout_s=settings.webhooks_timeout_s,
    )
