"""The `support` projector: one row per ticket (status, priority, level, assignee, SLA facts),
each ticket's history (every event with its actor), and knowledge-base articles with a
weighted `tsvector` (title A, tags B, body C) for full-text search."""

from __future__ import annotations

import json
from typing import Any, ClassVar, LiteralString

from psycopg import Cursor
from psycopg import sql as pgsql

from domain.ledger.personal import ERASED
from projections.base import Handler, Projector
from projections.envelope import Envelope

ARTICLE_VECTOR: LiteralString = (
    "setweight(to_tsvector('english', %(title)s), 'A')"
    " || setweight(to_tsvector('english', %(tags)s), 'B')"
    " || setweight(to_tsvector('english', %(body)s), 'C')"
)
HISTORY_FIELDS = {
    "Opened": ("source", "category", "priority", "assignee", "queue", "routing_rule"),
    "StatusChanged": ("from_status", "to_status", "note"),
    "Assigned": ("assignee", "queue", "from_status", "to_status"),
    "MessageAdded": ("message_id", "author_kind", "visibility"),
    "Escalated": ("from_level", "to_level", "from_status", "to_status", "reason", "automatic"),
    "Resolved": ("from_status", "to_status", "resolution"),
    "Reopened": ("from_status", "to_status", "reason"),
    "Closed": ("from_status", "to_status", "how", "satisfaction"),
    "SlaBreached": ("kind", "target_s"),
    "ArticleLinked": ("article_id",),
}


def _history(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    name = e.event_type.split(".", 1)[-1]
    details = {k: e.data.get(k) for k in HISTORY_FIELDS.get(name, ())}
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.history (position, ticket_id, event_type, actor, role, realm, at,"
            " details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
        ).format(schema),
        (
            e.position,
            e.aggregate_id,
            name,
            e.actor.get("user"),
            e.actor.get("role"),
            e.actor.get("realm"),
            e.data.get("at") or e.data.get("opened_at") or e.timestamp,
            json.dumps(details, sort_keys=True, default=str),
        ),
    )


def _update(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, sets: str, *args: Any) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.tickets SET {}, version = %s WHERE ticket_id = %s").format(
            schema,
            pgsql.SQL(sets),
        ),
        (*args, e.version, e.aggregate_id),
    )
    _history(cur, schema, e)


def _shown(value: Any) -> str:
    """A ticket text as the feed opened it (a customer's personal data: plaintext or ERASED)."""
    return value if isinstance(value, str) else ERASED


def _customer_erased(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.tickets SET subject = %s WHERE customer_id = %s").format(schema),
        (ERASED, e.aggregate_id),
    )
    cur.execute(
        pgsql.SQL("UPDATE {}.messages SET body = %s WHERE customer_id = %s").format(schema),
        (ERASED, e.aggregate_id),
    )


def _opened(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    status = "assigned" if (d.get("assignee") or d.get("queue")) else "new"
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.tickets (ticket_id, number, reseller_id, tenant, source, customer_id,"
            " portal_id, subject, category, priority, status, level, assignee, queue, opened_at,"
            " first_response_target_s, resolution_target_s, public_messages, internal_notes,"
            " first_response_breached, resolution_breached, version) VALUES (%s, %s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s, 'level_1', %s, %s, %s, %s, %s, 0, 0, false, false, %s)"
        ).format(schema),
        (
            e.aggregate_id,
            d["number"],
            d["reseller_number"],
            e.tenant,
            d["source"],
            d.get("customer_id"),
            d.get("portal_id"),
            _shown(d["subject"]),
            d["category"],
            d["priority"],
            status,
            d.get("assignee"),
            d.get("queue"),
            d["opened_at"],
            d["first_response_target_s"],
            d["resolution_target_s"],
            e.version,
        ),
    )
    _history(cur, schema, e)


def _status_changed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _update(cur, schema, e, "status = %s", e.data["to_status"])


def _assigned(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    _update(
        cur,
        schema,
        e,
        "assignee = %s, queue = %s, status = %s",
        d.get("assignee"),
        d.get("queue"),
        d["to_status"],
    )


def _message(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.messages (message_id, ticket_id, customer_id, at, author_kind,"
            " visibility, body, attachments) SELECT %s, ticket_id, customer_id, %s, %s, %s, %s,"
            " %s FROM {}.tickets WHERE ticket_id = %s ON CONFLICT DO NOTHING"
        ).format(schema, schema),
        (
            d["message_id"],
            d["at"],
            d["author_kind"],
            d["visibility"],
            _shown(d["body"]),
            len(d.get("attachments") or []),
            e.aggregate_id,
        ),
    )
    if d["visibility"] == "internal":
        _update(cur, schema, e, "internal_notes = internal_notes + 1")
        return
    first = d["author_kind"] != "customer"
    _update(
        cur,
        schema,
        e,
        "public_messages = public_messages + 1, first_response_at = CASE WHEN %s"
        " THEN COALESCE(first_response_at, %s::timestamptz) ELSE first_response_at END",
        first,
        d["at"],
    )


def _escalated(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _update(cur, schema, e, "level = %s, status = %s", e.data["to_level"], e.data["to_status"])


def _resolved(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _update(
        cur,
        schema,
        e,
        "status = 'resolved', resolved_at = COALESCE(resolved_at, %s::timestamptz)",
        e.data["at"],
    )


def _reopened(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _update(cur, schema, e, "status = %s, reopened = reopened + 1", e.data["to_status"])


def _closed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    _update(
        cur,
        schema,
        e,
        "status = 'closed', closed_at = %s, satisfaction = %s, closed_how = %s",
        d["at"],
        d.get("satisfaction"),
        d["how"],
    )


def _breached(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    column = (
        "first_response_breached = true"
        if e.data["kind"] == "first_response"
        else "resolution_breached = true"
    )
    _update(cur, schema, e, column)


def _linked(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _update(cur, schema, e, "status = status")


def _article(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, insert: bool) -> None:
    d = e.data
    values = {
        "id": e.aggregate_id,
        "title": d["title"],
        "body": d["body"],
        "tags": " ".join(d["tags"]),
        "tag_list": list(d["tags"]),
        "at": e.timestamp,
        "version": e.version,
    }
    if insert:
        values.update(reseller=d.get("reseller_number"), kind=d["kind"], category=d["category"])
        query = (
            "INSERT INTO {}.articles (article_id, reseller_id, kind, category, title, body, tags,"
            " search, updated_at, version) VALUES (%(id)s, %(reseller)s, %(kind)s, %(category)s,"
            " %(title)s, %(body)s, %(tag_list)s, {vector}, %(at)s, %(version)s)"
        )
    else:
        query = (
            "UPDATE {}.articles SET title = %(title)s, body = %(body)s, tags = %(tag_list)s,"
            " search = {vector}, updated_at = %(at)s, version = %(version)s"
            " WHERE article_id = %(id)s"
        )
    cur.execute(pgsql.SQL(query).format(schema, vector=pgsql.SQL(ARTICLE_VECTOR)), values)


class SupportProjector(Projector):
    name = "support"
    tables = (
        ("tickets", "ticket_id"),
        ("history", "position"),
        ("articles", "article_id"),
        ("messages", "message_id"),
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.tickets (ticket_id uuid PRIMARY KEY,"
        " number text NOT NULL, reseller_id bigint NOT NULL, tenant bigint NOT NULL,"
        " source text NOT NULL, customer_id uuid, portal_id text, subject text NOT NULL,"
        " category text NOT NULL, priority text NOT NULL, status text NOT NULL,"
        " level text NOT NULL, assignee text, queue text, opened_at timestamptz NOT NULL,"
        " first_response_at timestamptz, resolved_at timestamptz, closed_at timestamptz,"
        " closed_how text, satisfaction int, reopened int NOT NULL DEFAULT 0,"
        " first_response_target_s bigint NOT NULL, resolution_target_s bigint NOT NULL,"
        " first_response_breached boolean NOT NULL, resolution_breached boolean NOT NULL,"
        " public_messages int NOT NULL, internal_notes int NOT NULL, version int NOT NULL)",
        "CREATE INDEX IF NOT EXISTS tickets_reseller ON {schema}.tickets (reseller_id, opened_at)",
        "CREATE INDEX IF NOT EXISTS tickets_level ON {schema}.tickets (level, opened_at)",
        "CREATE TABLE IF NOT EXISTS {schema}.history (position bigint PRIMARY KEY,"
        " ticket_id uuid NOT NULL, event_type text NOT NULL, actor text, role text, realm text,"
        " at timestamptz NOT NULL, details text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS history_ticket ON {schema}.history (ticket_id, position)",
        "CREATE TABLE IF NOT EXISTS {schema}.articles (article_id uuid PRIMARY KEY,"
        " reseller_id bigint, kind text NOT NULL, category text NOT NULL, title text NOT NULL,"
        " body text NOT NULL, tags text[] NOT NULL, search tsvector NOT NULL,"
        " updated_at timestamptz NOT NULL, version int NOT NULL)",
        "CREATE INDEX IF NOT EXISTS articles_search ON {schema}.articles USING gin (search)",
        "CREATE TABLE IF NOT EXISTS {schema}.messages (message_id uuid PRIMARY KEY,"
        " ticket_id uuid NOT NULL, customer_id uuid, at timestamptz NOT NULL,"
        " author_kind text NOT NULL, visibility text NOT NULL, body text NOT NULL,"
        " attachments int NOT NULL)",
        "CREATE INDEX IF NOT EXISTS messages_customer ON {schema}.messages (customer_id, at)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Ticket.Opened": _opened,
        "Ticket.StatusChanged": _status_changed,
        "Ticket.Assigned": _assigned,
        "Ticket.MessageAdded": _message,
        "Ticket.Escalated": _escalated,
        "Ticket.Resolved": _resolved,
        "Ticket.Reopened": _reopened,
        "Ticket.Closed": _closed,
        "Ticket.SlaBreached": _breached,
        "Ticket.ArticleLinked": _linked,
        "Customer.PersonalDataErased": _customer_erased,
        "Article.Published": lambda cur, schema, e: _article(cur, schema, e, True),
        "Article.Revised": lambda cur, schema, e: _article(cur, schema, e, False),
    }
