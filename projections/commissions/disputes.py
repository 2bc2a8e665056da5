"""Commission disputes for `GET /reseller/api/commissions/disputes`: one row per dispute, its
records, its documents (metadata only: the bytes stay in the event store) and its history,
each step with the actor and time its event's metadata recorded."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope

DOCUMENT_FIELDS = ("document_id", "filename", "content_type", "size_bytes", "sha256")


def _history(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, details: Any) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.history (position, dispute_id, event_type, actor, role, realm, at,"
            " details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.position,
            e.aggregate_id,
            e.event_type.split(".", 1)[-1],
            e.actor.get("user"),
            e.actor.get("role"),
            e.actor.get("realm"),
            e.timestamp,
            json.dumps(details, sort_keys=True),
        ),
    )


def _touch(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, sets: str, *args: Any) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.disputes SET {}, updated_at = %s WHERE dispute_id = %s").format(
            schema,
            pgsql.SQL(sets),  # callers pass constant SQL fragments
        ),
        (*args, e.timestamp, e.aggregate_id),
    )


def _document(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, d: dict[str, Any]) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.documents (dispute_id, document_id, filename, content_type,"
            " size_bytes, sha256, added_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (e.aggregate_id, *(d[k] for k in DOCUMENT_FIELDS), e.timestamp),
    )


def _submitted(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    claimed = sum((Decimal(i["claimed_adjustment"]) for i in d["items"]), Decimal(0))
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.disputes (dispute_id, reseller_id, status, currency, claimed_amount,"
            " reason, submitted_on, review_due_on, complex, escalated, submitted_at, updated_at)"
            " VALUES (%s, %s, 'submitted', %s, %s, %s, %s, %s, false, false, %s, %s)"
        ).format(schema),
        (
            e.aggregate_id,
            d["reseller_number"],
            d["currency"],
            claimed,
            d["reason"],
            d["submitted_on"],
            d["review_due_on"],
            e.timestamp,
            e.timestamp,
        ),
    )
    cur.executemany(
        pgsql.SQL(
            "INSERT INTO {}.items (dispute_id, commission_id, recorded_base, corrected_base,"
            " commission_rate, recorded_amount, claimed_adjustment) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        [
            (
                e.aggregate_id,
                i["commission_id"],
                Decimal(i["recorded_base"]),
                Decimal(i["corrected_base"]),
                Decimal(i["commission_rate"]),
                Decimal(i["recorded_amount"]),
                Decimal(i["claimed_adjustment"]),
            )
            for i in d["items"]
        ],
    )
    for document in d["documents"]:
        _document(cur, schema, e, document)
    _history(
        cur,
        schema,
        e,
        {
            "reason": d["reason"],
            "commission_ids": [i["commission_id"] for i in d["items"]],
            "claimed_amount": str(claimed),
            "documents": [{k: doc[k] for k in ("document_id", "sha256")} for doc in d["documents"]],
        },
    )


def _document_added(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    document = e.data["document"]
    _document(cur, schema, e, document)
    _touch(cur, schema, e, "status = status")
    _history(cur, schema, e, {k: document[k] for k in ("document_id", "filename", "sha256")})


def _review_started(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _touch(cur, schema, e, "status = 'under_review'")
    _history(cur, schema, e, {"note": e.data.get("note")})


def _marked_complex(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _touch(cur, schema, e, "complex = true, review_due_on = %s", e.data["review_due_on"])
    _history(cur, schema, e, {"review_due_on": e.data["review_due_on"], "reason": e.data["reason"]})


def _escalated(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _touch(cur, schema, e, "status = 'escalated', escalated = true")
    _history(cur, schema, e, {"to": e.data["to"], "reason": e.data["reason"]})


def _resolved(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    adjustments = d["adjustments"]
    total = sum((Decimal(a["amount"]) for a in adjustments), Decimal(0))
    interest = Decimal(d["interest"]["amount"])
    _touch(
        cur,
        schema,
        e,
        "status = %s, decision = %s, resolved_on = %s, adjustment_amount = %s,"
        " interest_amount = %s",
        d["decision"],
        d["decision"],
        d["resolved_on"],
        total,
        interest,
    )
    cur.executemany(
        pgsql.SQL(
            "UPDATE {}.items SET adjustment_id = %s, adjustment_amount = %s"
            " WHERE dispute_id = %s AND commission_id = %s"
        ).format(schema),
        [
            (a["adjustment_id"], Decimal(a["amount"]), e.aggregate_id, a["commission_id"])
            for a in adjustments
        ],
    )
    _history(
        cur,
        schema,
        e,
        {
            "decision": d["decision"],
            "note": d["note"],
            "adjustments": adjustments,
            "interest": str(interest),
            "interest_days": d["interest_days"],
            "interest_rate_percent": d["interest_rate_percent"],
        },
    )


class DisputesProjector(Projector):
    name = "disputes"
    tables = (
        ("disputes", "dispute_id"),
        ("items", "dispute_id, commission_id"),
        ("documents", "dispute_id, document_id"),
        ("history", "position"),
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.disputes (dispute_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, status text NOT NULL, currency text NOT NULL,"
        " claimed_amount numeric NOT NULL, reason text NOT NULL, submitted_on date NOT NULL,"
        " review_due_on date NOT NULL, complex boolean NOT NULL, escalated boolean NOT NULL,"
        " decision text, resolved_on date, adjustment_amount numeric, interest_amount numeric,"
        " submitted_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS disputes_reseller ON {schema}.disputes"
        " (reseller_id, submitted_at)",
        "CREATE TABLE IF NOT EXISTS {schema}.items (dispute_id uuid NOT NULL,"
        " commission_id uuid NOT NULL, recorded_base numeric NOT NULL,"
        " corrected_base numeric NOT NULL, commission_rate numeric NOT NULL,"
        " recorded_amount numeric NOT NULL, claimed_adjustment numeric NOT NULL,"
        " adjustment_id uuid, adjustment_amount numeric, PRIMARY KEY (dispute_id, commission_id))",
        "CREATE INDEX IF NOT EXISTS items_commission ON {schema}.items (commission_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.documents (dispute_id uuid NOT NULL,"
        " document_id uuid NOT NULL, filename text NOT NULL, content_type text NOT NULL,"
        " size_bytes int NOT NULL, sha256 text NOT NULL, added_at timestamptz NOT NULL,"
        " PRIMARY KEY (dispute_id, document_id))",
        "CREATE TABLE IF NOT EXISTS {schema}.history (position bigint PRIMARY KEY,"
        " dispute_id uuid NOT NULL, event_type text NOT NULL, actor text, role text, realm text,"
        " at timestamptz NOT NULL, details text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS history_dispute ON {schema}.history (dispute_id, position)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Dispute.Submitted": _submitted,
        "Dispute.DocumentAdded": _document_added,
        "Dispute.ReviewStarted": _review_started,
        "Dispute.MarkedComplex": _marked_complex,
        "Dispute.Escalated": _escalated,
        "Dispute.Resolved": _resolved,
    }


def _schema() -> pgsql.Identifier:
    return pgsql.Identifier(DisputesProjector.live_schema())


def _dispute_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "dispute_id": str(row["dispute_id"]),
        "reseller_id": row["reseller_id"],
        "status": row["status"],
        "currency": row["currency"],
        "claimed_amount": str(row["claimed_amount"]),
        "reason": row["reason"],
        "submitted_on": row["submitted_on"].isoformat(),
        "review_due_on": row["review_due_on"].isoformat(),
        "complex": row["complex"],
        "escalated": row["escalated"],
        "decision": row["decision"],
        "resolved_on": None if row["resolved_on"] is None else row["resolved_on"].isoformat(),
        "adjustment_amount": None
        if row["adjustment_amount"] is None
        else str(row["adjustment_amount"]),
        "interest_amount": None if row["interest_amount"] is None else str(row["interest_amount"]),
        "submitted_at": row["submitted_at"].isoformat(),
    }


def list_disputes(
    conn: Connection[Any],
    reseller_id: int,
    status: str | None,
    commission_id: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    query = pgsql.SQL("SELECT d.* FROM {}.disputes d WHERE d.reseller_id = %s").format(_schema())
    params: list[Any] = [reseller_id]
    if status is not None:
        query += pgsql.SQL(" AND d.status = %s")
        params.append(status)
    if commission_id is not None:
        query += pgsql.SQL(
            " AND EXISTS (SELECT 1 FROM {}.items i WHERE i.dispute_id = d.dispute_id"
            " AND i.commission_id = %s)"
        ).format(_schema())
        params.append(commission_id)
    query += pgsql.SQL(" ORDER BY d.submitted_at, d.dispute_id LIMIT %s OFFSET %s")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, [*params, limit, offset])
        return [_dispute_row(r) for r in cur.fetchall()]


def get_dispute(conn: Connection[Any], dispute_id: str) -> dict[str, Any] | None:
    """One dispute with its records, documents and history (oldest first)."""
    schema = _schema()
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.disputes WHERE dispute_id = %s").format(schema),
            (dispute_id,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.items WHERE dispute_id = %s ORDER BY commission_id").format(
                schema
            ),
            (dispute_id,),
        )
        items = cur.fetchall()
        cur.execute(
            pgsql.SQL(
                "SELECT * FROM {}.documents WHERE dispute_id = %s ORDER BY added_at, document_id"
            ).format(schema),
            (dispute_id,),
        )
        documents = cur.fetchall()
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.history WHERE dispute_id = %s ORDER BY position").format(
                schema
            ),
            (dispute_id,),
        )
        history = cur.fetchall()
    view = _dispute_row(row)
    view["items"] = [
        {
            "commission_id": str(i["commission_id"]),
            "recorded_base_amount": str(i["recorded_base"]),
            "corrected_base_amount": str(i["corrected_base"]),
            "commission_rate": str(i["commission_rate"]),
            "recorded_amount": str(i["recorded_amount"]),
            "claimed_adjustment": str(i["claimed_adjustment"]),
            "adjustment_id": None if i["adjustment_id"] is None else str(i["adjustment_id"]),
            "adjustment_amount": None
            if i["adjustment_amount"] is None
            else str(i["adjustment_amount"]),
        }
        for i in items
    ]
    view["documents"] = [
        {
            "document_id": str(d["document_id"]),
            "filename": d["filename"],
            "content_type": d["content_type"],
            "size_bytes": d["size_bytes"],
            "sha256": d["sha256"],
            "added_at": d["added_at"].isoformat(),
        }
        for d in documents
    ]
    view["history"] = [
        {
            "position": h["position"],
            "event": h["event_type"],
            "actor": h["actor"],
            "role": h["role"],
            "realm": h["realm"],
            "at": h["at"].isoformat(),
            "details": json.loads(h["details"]),
        }
        for h in history
    ]
    return view
