"""The webhook outbox: the subscriptions as the delivery worker needs them, and one delivery
per matching public event and subscription.

A delivery's id (`msg_<subscription>_<position>`) is its `webhook-id`: stable across retries,
redeliveries and replays, so a receiver can drop what it already has. Deliveries are queued in
the projector's own transaction, only for the live schema (a rebuild sends nothing), into
`ledger_webhook_state`, which no rebuild drops; ON CONFLICT keeps a redelivered event from
queueing twice. Each subscription only ever gets events whose owner it may see
(`domain.webhooks.catalogue.receives`) in the public schema (`public_event`)."""

from __future__ import annotations

import json
from typing import Any, ClassVar
from uuid import UUID

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from domain.webhooks.catalogue import PUBLIC_TYPE_OF, Subscriber, public_event, receives
from projections.base import Handler, Projector
from projections.envelope import Envelope

STATE_DDL = (
    "CREATE SCHEMA IF NOT EXISTS ledger_webhook_state",
    "CREATE TABLE IF NOT EXISTS ledger_webhook_state.deliveries (delivery_id text PRIMARY KEY,"
    " subscription_id uuid NOT NULL, position bigint NOT NULL, event_type text NOT NULL,"
    " payload jsonb NOT NULL, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL"
    " DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(), last_status int,"
    " last_error text, delivered_at timestamptz, queued_at timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX IF NOT EXISTS deliveries_head ON ledger_webhook_state.deliveries"
    " (subscription_id, status, position)",
    # Every attempt, with the receiver's response code (the delivery log).
    "CREATE TABLE IF NOT EXISTS ledger_webhook_state.attempts (delivery_id text NOT NULL,"
    " attempt int NOT NULL, attempted_at timestamptz NOT NULL DEFAULT now(), status_code int,"
    " error text, PRIMARY KEY (delivery_id, attempt, attempted_at))",
)

_LIVE = pgsql.Identifier("proj_webhooks")


def delivery_id(subscription_id: str | UUID, position: int) -> str:
    return f"msg_{UUID(str(subscription_id)).hex}_{position}"


def _created(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.subscriptions (subscription_id, reseller, url, event_types, secrets,"
            " active, position) VALUES (%s, %s, %s, %s, %s, true, %s)"
            " ON CONFLICT (subscription_id) DO NOTHING"
        ).format(schema),
        (
            e.aggregate_id,
            d["reseller_number"],
            d["url"],
            d["event_types"],
            [d["secret_encrypted"]],
            e.position,
        ),
    )


def _update(statement: str, *fields: str) -> Handler:
    def handler(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
        values = [e.data[f] for f in fields]
        cur.execute(
            pgsql.SQL(
                "UPDATE {schema}.subscriptions SET {change} WHERE subscription_id = %s"
            ).format(schema=schema, change=pgsql.SQL(statement)),
            (*values, e.aggregate_id),
        )

    return handler


def _requeue(condition: str, field: str | None) -> Handler:
    """Replays and redeliveries: the deliveries go out again (same ids), in position order."""

    def handler(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
        if schema != _LIVE:
            return
        cur.execute(
            pgsql.SQL(
                "UPDATE ledger_webhook_state.deliveries SET status = 'pending', attempts = 0,"
                " next_attempt_at = now() WHERE subscription_id = %s AND {condition}"
            ).format(condition=pgsql.SQL(condition)),
            (e.aggregate_id, *([] if field is None else [e.data[field]])),
        )

    return handler


_activate = _update("active = true, disabled_reason = NULL")
_resume_failed = _requeue("status = 'failed'", None)


def _enabled(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    """Deliveries resume from the first not delivered: a failed one goes out again first."""
    _activate(cur, schema, e)
    _resume_failed(cur, schema, e)


def _queue(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    if schema != _LIVE:
        return
    payload = public_event(e.event_type, e.position, e.owner, e.aggregate_id, e.timestamp, e.data)
    if payload is None:
        return
    cur.execute(
        pgsql.SQL(
            "SELECT subscription_id, reseller, event_types FROM {}.subscriptions"
            " WHERE active AND %s = ANY(event_types) AND (reseller IS NULL OR reseller = %s)"
            " ORDER BY subscription_id"
        ).format(schema),
        (payload["type"], e.owner),
    )
    for subscription_id, reseller, event_types in cur.fetchall():
        # The query already filters; the catalogue's rule decides, so tenancy has one home.
        if not receives(Subscriber(reseller, frozenset(event_types)), e.event_type, e.owner):
            continue
        cur.execute(
            "INSERT INTO ledger_webhook_state.deliveries (delivery_id, subscription_id, position,"
            " event_type, payload) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                delivery_id(subscription_id, e.position),
                subscription_id,
                e.position,
                payload["type"],
                json.dumps(payload),
            ),
        )


_SUBSCRIPTION = "WebhookSubscription."


class WebhooksProjector(Projector):
    name = "webhooks"
    tables = (("subscriptions", "subscription_id"),)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.subscriptions (subscription_id uuid PRIMARY KEY,"
        " reseller bigint, url text NOT NULL, event_types text[] NOT NULL,"
        " secrets text[] NOT NULL, active boolean NOT NULL, disabled_reason text,"
        " position bigint NOT NULL)",
        "CREATE INDEX IF NOT EXISTS subscriptions_reseller ON {schema}.subscriptions (reseller)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        **{internal: _queue for internal in PUBLIC_TYPE_OF},
        _SUBSCRIPTION + "Created": _created,
        _SUBSCRIPTION + "Changed": _update("url = %s, event_types = %s", "url", "event_types"),
        _SUBSCRIPTION + "SecretRotated": _update(
            "secrets = ARRAY[%s, secrets[1]]", "new_secret_encrypted"
        ),
        _SUBSCRIPTION + "PreviousSecretRetired": _update("secrets = secrets[1:1]"),
        _SUBSCRIPTION + "Disabled": _update("active = false, disabled_reason = %s", "reason"),
        _SUBSCRIPTION + "Enabled": _enabled,
        _SUBSCRIPTION + "ReplayRequested": _requeue("position > %s", "after_position"),
        _SUBSCRIPTION + "RedeliveryRequested": _requeue("position = %s", "position"),
    }

    @classmethod
    def create(cls, conn: Connection[Any], schema: str) -> None:
        super().create(conn, schema)
        ensure_state(conn)


def ensure_state(conn: Connection[Any]) -> None:
    with conn.transaction():
        for statement in STATE_DDL:
            conn.execute(statement)


_SCHEMA = pgsql.Identifier(WebhooksProjector.live_schema())


def subscriptions_of(conn: Connection[Any], reseller: int | None) -> list[dict[str, Any]]:
    """A reseller's subscriptions (None: the master ISP's own), as projected; no secrets."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT subscription_id, reseller AS reseller_id, url, event_types, active,"
                " disabled_reason, cardinality(secrets) > 1 AS rotating FROM {}.subscriptions"
                " WHERE reseller IS NOT DISTINCT FROM %s ORDER BY position"
            ).format(_SCHEMA),
            (reseller,),
        )
        rows = cur.fetchall()
    return [{**row, "subscription_id": str(row["subscription_id"])} for row in rows]


def delivery_log(
    conn: Connection[Any], subscription_id: UUID, after_position: int, limit: int
) -> list[dict[str, Any]]:
    """The subscription's deliveries in position order, each with its attempts' codes."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT d.delivery_id, d.position, d.event_type, d.status, d.attempts,"
            " d.last_status, d.last_error, d.delivered_at, d.next_attempt_at,"
            " coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'at',"
            " a.attempted_at, 'status_code', a.status_code, 'error', a.error)"
            " ORDER BY a.attempted_at) FROM ledger_webhook_state.attempts a"
            " WHERE a.delivery_id = d.delivery_id), '[]'::json) AS attempt_log"
            " FROM ledger_webhook_state.deliveries d WHERE d.subscription_id = %s"
            " AND d.position > %s ORDER BY d.position LIMIT %s",
            (subscription_id, after_position, limit),
        )
        rows = cur.fetchall()
    return [
        {
            **row,
            "delivered_at": row["delivered_at"].isoformat() if row["delivered_at"] else None,
            "next_attempt_at": row["next_attempt_at"].isoformat(),
        }
        for row in rows
    ]


def has_delivery(conn: Connection[Any], subscription_id: UUID, position: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM ledger_webhook_state.deliveries WHERE subscription_id = %s"
        " AND position = %s",
        (subscription_id, position),
    ).fetchone()
    return row is not None
