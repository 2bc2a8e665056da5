"""Notifications derived from events, one row per notification, per reseller (or broadcast).

A notification's id is its event's position and its index among the event's drafts, so a
rebuild gives the same ids and the users' read marks (kept apart in `ledger_notification_state`,
which no rebuild drops) still match."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from domain.notifications import (
    DEFAULT_CHANNELS,
    NOTIFYING_EVENTS,
    Channel,
    Draft,
    NotificationType,
    drafts_for,
)
from projections.base import Handler, Projector
from projections.envelope import Envelope

STATE_DDL = (
    "CREATE SCHEMA IF NOT EXISTS ledger_notification_state",
    "CREATE TABLE IF NOT EXISTS ledger_notification_state.reads (subject text NOT NULL,"
    " notification_id text NOT NULL, read_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (subject, notification_id))",
    "CREATE TABLE IF NOT EXISTS ledger_notification_state.preferences (subject text NOT NULL,"
    " kind text NOT NULL, channel text NOT NULL, enabled boolean NOT NULL,"
    " PRIMARY KEY (subject, kind, channel))",
    # What the notifier sends, one row per recipient and channel, its id the message's id.
    # Recorded with the notification, in the projector's transaction; kept apart from the
    # projection so that a rebuild (same ids, ON CONFLICT) never sends anything twice.
    "CREATE TABLE IF NOT EXISTS ledger_notification_state.outbox (message_id text PRIMARY KEY,"
    " notification_id text NOT NULL, position bigint NOT NULL, reseller bigint NOT NULL,"
    " kind text NOT NULL, channel text NOT NULL, recipient_user uuid, title text NOT NULL,"
    " body text NOT NULL, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL"
    " DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(), last_error text,"
    " sent_at timestamptz)",
    "CREATE INDEX IF NOT EXISTS outbox_due ON ledger_notification_state.outbox"
    " (status, next_attempt_at, position)",
)


_OUTBOX = (
    "INSERT INTO ledger_notification_state.outbox (message_id, notification_id, position,"
    " reseller, kind, channel, recipient_user, title, body)"
    " SELECT %(id)s || '.' || u.user_id || '.' || %(channel)s, %(id)s, %(position)s,"
    " u.reseller_id, %(kind)s, %(channel)s, u.user_id, %(title)s, %(body)s"
    " FROM proj_users.users u WHERE u.reseller_id = %(reseller)s AND u.role = 'admin'"
    " AND u.status = 'active'"
    " AND coalesce((SELECT p.enabled FROM ledger_notification_state.preferences p"
    " WHERE p.subject = 'user:' || u.user_id AND p.kind = %(kind)s"
    " AND p.channel = %(channel)s), %(default)s)"
    " ON CONFLICT (message_id) DO NOTHING"
)


def _queue_deliveries(cur: Cursor[Any], e: Envelope, draft: Draft, notification_id: str) -> None:
    """E-mail and SMS to the reseller's active admins who want this type on that channel.
    Broadcasts to all resellers are left to the in-app centre."""
    if draft.reseller is None and not draft.audience:
        return
    for reseller in [draft.reseller] if draft.reseller is not None else draft.audience:
        for channel in (Channel.EMAIL, Channel.SMS):
            cur.execute(
                _OUTBOX,
                {
                    "id": notification_id,
                    "position": e.position,
                    "reseller": reseller,
                    "kind": draft.kind.value,
                    "channel": channel.value,
                    "title": draft.title,
                    "body": draft.body,
                    "default": channel in DEFAULT_CHANNELS[draft.kind],
                },
            )


_LIVE = pgsql.Identifier("proj_notifications")


def _notify(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    for index, draft in enumerate(
        drafts_for(e.event_type, e.tenant if e.owner is None else e.owner, e.data)
    ):
        cur.execute(
            pgsql.SQL(
                "INSERT INTO {}.notifications (id, position, reseller, audience, kind, title,"
                " body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING"
            ).format(schema),
            (
                f"{e.position}-{index}",
                e.position,
                draft.reseller,
                list(draft.audience) or None,
                draft.kind.value,
                draft.title,
                draft.body,
                e.timestamp,
            ),
        )
        # A rebuild (a shadow schema) re-derives the centre but sends nothing: today's admins
        # must not receive old notifications.
        if schema == _LIVE:
            _queue_deliveries(cur, e, draft, f"{e.position}-{index}")


class NotificationsProjector(Projector):
    name = "notifications"
    tables = (("notifications", "id"),)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.notifications (id text PRIMARY KEY,"
        " position bigint NOT NULL, reseller bigint, audience bigint[], kind text NOT NULL,"
        " title text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS notifications_reseller ON {schema}.notifications"
        " (reseller, position)",
    )
    handlers: ClassVar[dict[str, Handler]] = {name: _notify for name in NOTIFYING_EVENTS}

    @classmethod
    def create(cls, conn: Connection[Any], schema: str) -> None:
        super().create(conn, schema)
        ensure_state(conn)


def ensure_state(conn: Connection[Any]) -> None:
    with conn.transaction():
        for statement in STATE_DDL:
            conn.execute(statement)


_SCHEMA = pgsql.Identifier(NotificationsProjector.live_schema())
_LIST = (
    "SELECT n.id, n.kind, n.title, n.body, n.created_at, r.read_at IS NOT NULL AS read"
    " FROM {schema}.notifications n LEFT JOIN ledger_notification_state.reads r"
    " ON r.notification_id = n.id AND r.subject = %(subject)s"
    " WHERE (n.reseller = %(reseller)s OR (n.reseller IS NULL AND"
    " (n.audience IS NULL OR %(reseller)s = ANY(n.audience))))"
    " AND (NOT %(unread_only)s OR r.read_at IS NULL)"
    " ORDER BY n.position DESC, n.id DESC LIMIT %(limit)s"
)
_UNREAD = (
    "SELECT count(*) FROM {schema}.notifications n"
    " WHERE (n.reseller = %(reseller)s OR (n.reseller IS NULL AND"
    " (n.audience IS NULL OR %(reseller)s = ANY(n.audience))))"
    " AND NOT EXISTS (SELECT 1 FROM ledger_notification_state.reads r"
    " WHERE r.notification_id = n.id AND r.subject = %(subject)s)"
)
_VISIBLE = (
    "SELECT 1 FROM {schema}.notifications n WHERE n.id = %(id)s"
    " AND (n.reseller = %(reseller)s OR (n.reseller IS NULL AND"
    " (n.audience IS NULL OR %(reseller)s = ANY(n.audience))))"
)


def notifications_for(
    conn: Connection[Any], subject: str, reseller: int, unread_only: bool, limit: int
) -> list[dict[str, Any]]:
    """The reseller's notifications as one user sees them, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(_LIST).format(schema=_SCHEMA),
            {"subject": subject, "reseller": reseller, "unread_only": unread_only, "limit": limit},
        )
        rows = cur.fetchall()
    return [{**row, "created_at": row["created_at"].isoformat()} for row in rows]


def unread_count(conn: Connection[Any], subject: str, reseller: int) -> int:
    row = conn.execute(
        pgsql.SQL(_UNREAD).format(schema=_SCHEMA), {"subject": subject, "reseller": reseller}
    ).fetchone()
    return int(row[0]) if row else 0


def mark_read(conn: Connection[Any], subject: str, reseller: int, notification_id: str) -> bool:
    """False when the notification is not the user's to see (the caller answers 404)."""
    visible = conn.execute(
        pgsql.SQL(_VISIBLE).format(schema=_SCHEMA), {"id": notification_id, "reseller": reseller}
    ).fetchone()
    if visible is None:
        return False
    conn.execute(
        "INSERT INTO ledger_notification_state.reads (subject, notification_id)"
        " VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (subject, notification_id),
    )
    return True


def preferences_of(conn: Connection[Any], subject: str) -> dict[tuple[str, str], bool]:
    rows = conn.execute(
        "SELECT kind, channel, enabled FROM ledger_notification_state.preferences"
        " WHERE subject = %s",
        (subject,),
    ).fetchall()
    return {(str(k), str(c)): bool(on) for k, c, on in rows}


def set_preferences(
    conn: Connection[Any], subject: str, choices: dict[tuple[NotificationType, Channel], bool]
) -> None:
    with conn.transaction():
        for (kind, channel), enabled in sorted(choices.items()):
            conn.execute(
                "INSERT INTO ledger_notification_state.preferences"
                " (subject, kind, channel, enabled) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (subject, kind, channel) DO UPDATE SET enabled = EXCLUDED.enabled",
                (subject, kind.value, channel.value, enabled),
            )
