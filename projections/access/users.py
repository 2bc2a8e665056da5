"""Reseller team members and their login history (seed §7.1, §7.3).

No secret reaches these tables: password hashes, TOTP secrets and recovery-code hashes stay in
the events; only facts such as "two-factor is on" are projected.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope

LOGIN_HISTORY_LIMIT = 500


def _created(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.users (user_id, tenant, reseller_id, username, email, first_name,"
            " last_name, role, custom_role, permissions, department, status, two_factor_enabled,"
            " version, created_at, updated_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'active',false,%s,%s,%s)"
        ).format(schema),
        (
            e.aggregate_id,
            e.tenant,
            d["reseller_number"],
            d["username"],
            d["email"],
            d["first_name"],
            d["last_name"],
            d["role"],
            d["custom_role"],
            json.dumps(d["permissions"]),
            d["department"],
            e.version,
            e.timestamp,
            e.timestamp,
        ),
    )


def _set(columns: dict[str, Any]) -> Handler:
    def handler(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
        _update(cur, schema, e, columns)

    return handler


def _update(
    cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, columns: dict[str, Any]
) -> None:
    assignments = pgsql.SQL(", ").join(
        pgsql.SQL("{} = %s").format(pgsql.Identifier(c))
        for c in [*columns, "version", "updated_at"]
    )
    cur.execute(
        pgsql.SQL("UPDATE {}.users SET {} WHERE user_id = %s").format(schema, assignments),
        (*columns.values(), e.version, e.timestamp, e.aggregate_id),
    )


PROJECTED_PROFILE = (
    "email", "first_name", "last_name", "role", "custom_role", "permissions", "department",
)  # fmt: skip


def _profile_changed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    columns = {
        field: json.dumps(after) if field == "permissions" else after
        for field, (_before, after) in e.data["changes"].items()
        if field in PROJECTED_PROFILE
    }
    _update(cur, schema, e, columns)


def _login(
    cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, outcome: str, detail: str
) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.login_history (user_id, version, position, reseller_id, at, outcome,"
            " detail, ip, user_agent, session_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        ).format(schema),
        (
            e.aggregate_id,
            e.version,
            e.position,
            e.owner,
            e.timestamp,
            outcome,
            detail,
            e.data.get("ip"),
            e.data.get("user_agent"),
            e.data.get("session_id"),
        ),
    )


def _logged_in(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _login(cur, schema, e, "success", e.data["method"])
    _update(cur, schema, e, {"last_login_at": e.timestamp})


def _login_failed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _login(cur, schema, e, "failure", e.data["reason"])
    _update(cur, schema, e, {})


def _touch(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _update(cur, schema, e, {})


class UsersProjector(Projector):
    name = "users"
    tables = (("users", "user_id"), ("login_history", "user_id, version"))
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.users ("
        " user_id uuid PRIMARY KEY, tenant bigint NOT NULL, reseller_id bigint NOT NULL,"
        " username text NOT NULL, email text NOT NULL, first_name text, last_name text,"
        " role text NOT NULL, custom_role text, permissions jsonb NOT NULL, department text,"
        " status text NOT NULL,"
        " two_factor_enabled boolean NOT NULL, last_login_at timestamptz, version bigint NOT NULL,"
        " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS users_reseller ON {schema}.users (reseller_id, username)",
        "CREATE TABLE IF NOT EXISTS {schema}.login_history ("
        " user_id uuid NOT NULL, version bigint NOT NULL, position bigint NOT NULL,"
        " reseller_id bigint, at timestamptz NOT NULL, outcome text NOT NULL, detail text,"
        " ip text, user_agent text, session_id text, PRIMARY KEY (user_id, version))",
        "CREATE INDEX IF NOT EXISTS login_history_reseller ON {schema}.login_history"
        " (reseller_id, at)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "ResellerUser.Created": _created,
        "ResellerUser.ProfileChanged": _profile_changed,
        "ResellerUser.Disabled": _set({"status": "disabled"}),
        "ResellerUser.Enabled": _set({"status": "active"}),
        "ResellerUser.TwoFactorEnabled": _set({"two_factor_enabled": True}),
        "ResellerUser.TwoFactorDisabled": _set({"two_factor_enabled": False}),
        "ResellerUser.LoggedIn": _logged_in,
        "ResellerUser.LoginFailed": _login_failed,
        "ResellerUser.PasswordSet": _touch,
        "ResellerUser.PasswordRehashed": _touch,
        "ResellerUser.TwoFactorEnrollmentStarted": _touch,
        "ResellerUser.SessionsRevoked": _touch,
        "ResellerUser.PermissionGranted": _touch,
    }


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    shaped = dict(row)
    shaped.pop("tenant", None)
    shaped["user_id"] = str(row["user_id"])
    for key in ("created_at", "updated_at", "last_login_at", "at"):
        if isinstance(shaped.get(key), datetime):
            shaped[key] = shaped[key].isoformat()
    return shaped


def list_users(
    conn: Connection[Any], reseller_id: int, limit: int, offset: int
) -> list[dict[str, Any]]:
    schema = pgsql.Identifier(UsersProjector.live_schema())
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT * FROM {}.users WHERE reseller_id = %s ORDER BY username LIMIT %s OFFSET %s"
            ).format(schema),
            (reseller_id, limit, offset),
        )
        return [_shape(row) for row in cur.fetchall()]


def login_history(
    conn: Connection[Any], reseller_id: int, user_id: str | None, limit: int
) -> list[dict[str, Any]]:
    schema = pgsql.Identifier(UsersProjector.live_schema())
    query = pgsql.SQL("SELECT * FROM {}.login_history WHERE reseller_id = %s").format(schema)
    params: list[Any] = [reseller_id]
    if user_id is not None:
        query += pgsql.SQL(" AND user_id = %s")
        params.append(user_id)
    query += pgsql.SQL(" ORDER BY at DESC, version DESC LIMIT %s")
    params.append(min(limit, LOGIN_HISTORY_LIMIT))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        return [_shape(row) for row in cur.fetchall()]
