"""The audit trail: every event in the store as one audit record, for finance auditors and the
master ISP's admins (seed §14: "audit trail maintenance"; §10.3: "audit trail exports").

A record says when (the event's instant), who (subject, role, realm, the actor's reseller, the
session), on behalf of which reseller (the owner of the data changed), from which IP and user
agent, under which request id and idempotency key, and what changed:

- `data`: the event's own fields, except what must not be copied: secrets (password hashes,
  encrypted TOTP secrets, token and recovery-code hashes) and personal data (names, e-mail,
  phone, address, ...; stored responses, which may hold them). Their names are listed in
  `withheld` (as `field` or `parent.field`) with the reason, never their values: the event
  store stays the one place they live (encrypted there where the erasure work applies).
- `before` / `after`: the state fields the event replaced, where that is cheap and certain:
  explicit pairs in the event (`from_status`/`to_status` -> `status`; a `changes` map of
  `field: [before, after]`), and, for other events that set values (`...Changed`, `...Set`,
  `...Repriced`: all their fields are the new values), the value each field had in the
  latest earlier event of the same aggregate that recorded it. Events that record a new
  fact (created, charged, paid, ...) overwrite nothing: `before` and `after` are null. A
  field no earlier event recorded (a default) has no `before` entry.

For the last rule the projector keeps, per aggregate, the latest non-withheld value of each
field (`memory`): written only by an aggregate's first event and by events that change values.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector, feed_position
from projections.envelope import Envelope, jsonable

SECRET_FIELDS = frozenset(
    {
        "password_hash",
        "secret_encrypted",
        "totp_secret_encrypted",
        "recovery_code_hashes",
        "token_hash",
        "token",
        "password",
    }
)
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "company_name",
        "contact_name",
        "email",
        "phone",
        "address",
        "city",
        "username",
        "date_of_birth",
        "tax_id",
        "tin",
        "response_body",  # a stored command response may repeat any of the above
        "subject",  # support tickets: what a customer wrote (subject, description, messages)
        "problem_description",
        "body",
    }
)
SETTING_SUFFIXES = ("Changed", "Set", "Repriced")
PAIR_PREFIXES = ("from_", "to_")
MAX_DEPTH = 8


def _withhold_reason(name: str) -> str | None:
    if name in SECRET_FIELDS:
        return "secret"
    if name in PERSONAL_FIELDS:
        return "personal"
    return None


def _plain(value: Any) -> Any:
    """JSON types only. Values the envelope did not know (e.g. a future value type) become
    their fields' JSON form, or just their type name: never their repr."""
    value = jsonable(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **_plain(dataclasses.asdict(value))}
    return {"type": type(value).__name__}


def redact(value: Any, withheld: dict[str, str], path: str = "", depth: int = 0) -> Any:
    """`value` without secret or personal fields (at any depth); their paths go to `withheld`."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, Mapping):
        kept = {}
        for key, item in value.items():
            name = str(key)
            where = f"{path}.{name}" if path else name
            reason = _withhold_reason(name)
            if reason is not None:
                withheld[where] = reason
                continue
            kept[name] = redact(item, withheld, where, depth + 1)
        return kept
    if isinstance(value, list):
        return [redact(item, withheld, path, depth + 1) for item in value]
    return value


def aggregate_type(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def _is_setting(event_type: str) -> bool:
    return event_type.rsplit(".", 1)[-1].endswith(SETTING_SUFFIXES)


def explicit_changes(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Before and after values the event itself states (already redacted data)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in data.items():
        if key.startswith("to_") and f"from_{key[3:]}" in data:
            before[key[3:]] = data[f"from_{key[3:]}"]
            after[key[3:]] = value
    changes = data.get("changes")
    if isinstance(changes, Mapping):
        for field, pair in changes.items():
            if isinstance(pair, list) and len(pair) == 2:
                before[field], after[field] = pair
    return before, after


def _remember(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, values: Any) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.memory AS m (aggregate_id, version, fields) VALUES (%s, %s, %s)"
            " ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version,"
            " fields = m.fields || EXCLUDED.fields WHERE m.version < EXCLUDED.version"
        ).format(schema),
        (e.aggregate_id, e.version, json.dumps(values)),
    )


def _recalled(cur: Cursor[Any], schema: pgsql.Identifier, aggregate_id: str) -> dict[str, Any]:
    cur.execute(
        pgsql.SQL("SELECT fields FROM {}.memory WHERE aggregate_id = %s").format(schema),
        (aggregate_id,),
    )
    row = cur.fetchone()
    return dict(row[0]) if row else {}


def _record(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    withheld: dict[str, str] = {}
    data = redact(_plain(e.data), withheld)
    before, after = explicit_changes(data)
    setting = _is_setting(e.event_type) and not (before or after)
    if setting:
        remembered = _recalled(cur, schema, e.aggregate_id)
        for key, value in data.items():
            if key.startswith(PAIR_PREFIXES) or key == "changes":
                continue
            after.setdefault(key, value)
            if key in remembered:
                before.setdefault(key, remembered[key])
    if e.version == 1 or setting or after:
        _remember(cur, schema, e, {**data, **after})
    actor = e.actor
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.records (position, recorded_at, event_type, aggregate_type,"
            " aggregate_id, aggregate_version, tenant, reseller_id, actor, actor_role,"
            " actor_realm, actor_reseller_id, session_id, ip, user_agent, request_id,"
            " idempotency_key, data, before, after, withheld)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        ).format(schema),
        (
            e.position,
            e.timestamp,
            e.event_type,
            aggregate_type(e.event_type),
            e.aggregate_id,
            e.version,
            e.tenant,
            e.owner,
            actor.get("user"),
            actor.get("role"),
            actor.get("realm"),
            actor.get("reseller"),
            actor.get("session"),
            actor.get("ip"),
            actor.get("user_agent"),
            actor.get("request_id"),
            actor.get("idempotency_key"),
            json.dumps(data),
            json.dumps(before) if before or after else None,
            json.dumps(after) if before or after else None,
            json.dumps(withheld),
        ),
    )


class AuditProjector(Projector):
    name = "audit"
    tables = (("records", "position"), ("memory", "aggregate_id"))
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.records ("
        " position bigint PRIMARY KEY, recorded_at timestamptz NOT NULL,"
        " event_type text NOT NULL, aggregate_type text NOT NULL, aggregate_id uuid NOT NULL,"
        " aggregate_version bigint NOT NULL, tenant bigint NOT NULL, reseller_id bigint,"
        " actor text, actor_role text, actor_realm text, actor_reseller_id bigint,"
        " session_id text, ip text, user_agent text, request_id text, idempotency_key text,"
        " data jsonb NOT NULL, before jsonb, after jsonb, withheld jsonb NOT NULL)",
        "CREATE INDEX IF NOT EXISTS records_actor ON {schema}.records (actor, position)",
        "CREATE INDEX IF NOT EXISTS records_aggregate ON {schema}.records (aggregate_id, position)",
        "CREATE INDEX IF NOT EXISTS records_type ON {schema}.records"
        " (aggregate_type, event_type, position)",
        "CREATE INDEX IF NOT EXISTS records_reseller ON {schema}.records (reseller_id, position)",
        "CREATE INDEX IF NOT EXISTS records_request ON {schema}.records (request_id)",
        "CREATE INDEX IF NOT EXISTS records_at ON {schema}.records (recorded_at)",
        "CREATE TABLE IF NOT EXISTS {schema}.memory (aggregate_id uuid PRIMARY KEY,"
        " version bigint NOT NULL, fields jsonb NOT NULL)",
    )
    handlers: ClassVar[dict[str, Handler]] = {}
    fallback = _record


# -- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    reseller_id: int | None = None
    aggregate_id: str | None = None
    aggregate_type: str | None = None
    event_type: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive."""
    after: int = 0
    """Only records past this position (the cursor of the previous page)."""
    through: int | None = None
    """Only records up to this position (an export's fixed end)."""

    def where(self) -> tuple[pgsql.Composable, dict[str, Any]]:
        clauses: list[pgsql.Composable] = [pgsql.SQL("position > %(after)s")]
        params: dict[str, Any] = {"after": self.after}
        for column, value in (
            ("actor", self.actor),
            ("reseller_id", self.reseller_id),
            ("aggregate_id", self.aggregate_id),
            ("aggregate_type", self.aggregate_type),
            ("event_type", self.event_type),
            ("request_id", self.request_id),
        ):
            if value is not None:
                clauses.append(
                    pgsql.SQL("{} = {}").format(pgsql.Identifier(column), pgsql.Placeholder(column))
                )
                params[column] = value
        if self.since is not None:
            clauses.append(pgsql.SQL("recorded_at >= %(since)s"))
            params["since"] = self.since
        if self.until is not None:
            clauses.append(pgsql.SQL("recorded_at < %(until)s"))
            params["until"] = self.until
        if self.through is not None:
            clauses.append(pgsql.SQL("position <= %(through)s"))
            params["through"] = self.through
        return pgsql.SQL(" AND ").join(clauses), params


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "position": row["position"],
        "recorded_at": row["recorded_at"].isoformat(),
        "event_type": row["event_type"],
        "aggregate_type": row["aggregate_type"],
        "aggregate_id": str(row["aggregate_id"]),
        "aggregate_version": row["aggregate_version"],
        "tenant": row["tenant"],
        "reseller_id": row["reseller_id"],
        "actor": {
            "subject": row["actor"],
            "role": row["actor_role"],
            "realm": row["actor_realm"],
            "reseller_id": row["actor_reseller_id"],
            "session_id": row["session_id"],
            "ip": row["ip"],
            "user_agent": row["user_agent"],
            "request_id": row["request_id"],
            "idempotency_key": row["idempotency_key"],
        },
        "data": row["data"],
        "before": row["before"],
        "after": row["after"],
        "withheld": row["withheld"],
    }


def list_records(conn: Connection[Any], where: AuditFilter, limit: int) -> list[dict[str, Any]]:
    """One page of audit records, oldest first."""
    schema = pgsql.Identifier(AuditProjector.live_schema())
    condition, params = where.where()
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.records WHERE {} ORDER BY position LIMIT %(limit)s").format(
                schema, condition
            ),
            {**params, "limit": limit},
        )
        return [_shape(row) for row in cur.fetchall()]


def count_records(conn: Connection[Any], where: AuditFilter, cap: int) -> int:
    """How many records match, counting no further than `cap`."""
    schema = pgsql.Identifier(AuditProjector.live_schema())
    condition, params = where.where()
    row = conn.execute(
        pgsql.SQL(
            "SELECT count(*) FROM (SELECT 1 FROM {}.records WHERE {} LIMIT %(cap)s) AS capped"
        ).format(schema, condition),
        {**params, "cap": cap},
    ).fetchone()
    return int(row[0]) if row else 0


def has_record(conn: Connection[Any], position: int) -> bool:
    """True once the event at `position` is in the trail (or the store feed read past it)."""
    if feed_position(conn, AuditProjector) >= position:
        return True
    schema = pgsql.Identifier(AuditProjector.live_schema())
    query = pgsql.SQL("SELECT 1 FROM {}.records WHERE position = %s").format(schema)
    return conn.execute(query, (position,)).fetchone() is not None


def head_position(conn: Connection[Any]) -> int:
    schema = pgsql.Identifier(AuditProjector.live_schema())
    row = conn.execute(pgsql.SQL("SELECT max(position) FROM {}.records").format(schema)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


CSV_COLUMNS = (
    "position", "recorded_at", "event_type", "aggregate_type", "aggregate_id",
    "aggregate_version", "tenant", "reseller_id", "actor", "actor_role", "actor_realm",
    "actor_reseller_id", "session_id", "ip", "user_agent", "request_id", "idempotency_key",
    "data", "before", "after", "withheld",
)  # fmt: skip


def _csv_row(record: dict[str, Any]) -> list[Any]:
    actor = record["actor"]
    flat = {
        **{k: v for k, v in record.items() if k != "actor"},
        "actor": actor["subject"],
        "actor_role": actor["role"],
        "actor_realm": actor["realm"],
        "actor_reseller_id": actor["reseller_id"],
        **{k: actor[k] for k in ("session_id", "ip", "user_agent", "request_id")},
        "idempotency_key": actor["idempotency_key"],
    }
    out = []
    for column in CSV_COLUMNS:
        value = flat[column]
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True, separators=(",", ":"))
        out.append("" if value is None else _csv_safe(value))
    return out


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas: quote them out."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(pages: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for page in pages:
        for record in page:
            writer.writerow(_csv_row(record))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_lines(pages: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    for page in pages:
        yield "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in page)
