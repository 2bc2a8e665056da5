"""PostgreSQL-backed sessions and login throttling, and the key that encrypts TOTP secrets.

Sessions are operational state, not history: they change on every request (activity renewal),
so they live in a table (`auth.sessions`, token hashes only); logins, failures and revocations
are recorded as events on the user for the audit trail. Throttle counters live in
`auth.login_throttle`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from cryptography.fernet import Fernet, InvalidToken
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from commands.ports import SessionLimitReached, SessionRecord
from domain.access.auth_policy import ThrottleState
from projections.locks import AUTH_TABLES_LOCK_KEY, AUTH_USER_LOCK_SEED

AUTH_DDL = (
    "CREATE SCHEMA IF NOT EXISTS auth",
    "CREATE TABLE IF NOT EXISTS auth.sessions ("
    " session_id uuid PRIMARY KEY, token_hash text NOT NULL UNIQUE, user_id uuid NOT NULL,"
    " reseller_id bigint NOT NULL, created_at timestamptz NOT NULL,"
    " last_seen_at timestamptz NOT NULL, security_version int NOT NULL, scope text NOT NULL,"
    " revoked_at timestamptz, revoke_reason text, ip text, user_agent text)",
    "CREATE INDEX IF NOT EXISTS sessions_user ON auth.sessions (user_id, created_at)",
    "CREATE TABLE IF NOT EXISTS auth.login_throttle ("
    " key text PRIMARY KEY, failures int NOT NULL, window_started timestamptz,"
    " locked_until timestamptz, lockouts int NOT NULL)",
)
MAX_SESSIONS_LISTED = 200


def ensure_auth_tables(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUTH_TABLES_LOCK_KEY,))
        for statement in AUTH_DDL:
            conn.execute(statement)


def _record(row: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        session_id=str(row["session_id"]),
        user_id=row["user_id"],
        reseller_number=row["reseller_id"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        security_version=row["security_version"],
        scope=row["scope"],
        revoked_at=row["revoked_at"],
        ip=row["ip"],
        user_agent=row["user_agent"],
    )


class PostgresSessionStore:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool

    def create(
        self,
        record: SessionRecord,
        token_hash: str,
        max_concurrent: int,
        evict_oldest: bool,
        active_since: datetime,
        idle_since: datetime,
    ) -> list[str]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            # One user's logins queue here, so the limit holds under concurrent logins.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))",
                (str(record.user_id), AUTH_USER_LOCK_SEED),
            )
            cur.execute(
                "SELECT session_id FROM auth.sessions WHERE user_id = %s AND revoked_at IS NULL"
                " AND created_at > %s AND last_seen_at > %s ORDER BY created_at",
                (record.user_id, active_since, idle_since),
            )
            live = [str(row[0]) for row in cur.fetchall()]
            evicted: list[str] = []
            if len(live) >= max_concurrent:
                if not evict_oldest:
                    raise SessionLimitReached
                evicted = live[: len(live) - max_concurrent + 1]
                cur.execute(
                    "UPDATE auth.sessions SET revoked_at = %s, revoke_reason = 'evicted'"
                    " WHERE session_id = ANY(%s::uuid[])",
                    (record.created_at, evicted),
                )
            cur.execute(
                "INSERT INTO auth.sessions (session_id, token_hash, user_id, reseller_id,"
                " created_at, last_seen_at, security_version, scope, ip, user_agent)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    record.session_id,
                    token_hash,
                    record.user_id,
                    record.reseller_number,
                    record.created_at,
                    record.last_seen_at,
                    record.security_version,
                    record.scope,
                    record.ip,
                    record.user_agent,
                ),
            )
            return evicted

    def find(self, token_hash: str) -> SessionRecord | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM auth.sessions WHERE token_hash = %s", (token_hash,))
            row = cur.fetchone()
        return _record(row) if row else None

    def touch(self, session_id: str, now: datetime) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE auth.sessions SET last_seen_at = GREATEST(last_seen_at, %s)"
                " WHERE session_id = %s",
                (now, session_id),
            )

    def list_for_user(self, user_id: UUID) -> list[SessionRecord]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM auth.sessions WHERE user_id = %s ORDER BY created_at DESC LIMIT %s",
                (user_id, MAX_SESSIONS_LISTED),
            )
            return [_record(row) for row in cur.fetchall()]

    def revoke(self, session_ids: list[str], now: datetime, reason: str) -> list[str]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "UPDATE auth.sessions SET revoked_at = %s, revoke_reason = %s"
                " WHERE session_id = ANY(%s::uuid[]) AND revoked_at IS NULL RETURNING session_id",
                (now, reason, session_ids),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def revoke_all(self, user_id: UUID, now: datetime, reason: str) -> list[str]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "UPDATE auth.sessions SET revoked_at = %s, revoke_reason = %s"
                " WHERE user_id = %s AND revoked_at IS NULL RETURNING session_id",
                (now, reason, user_id),
            ).fetchall()
        return [str(row[0]) for row in rows]


class PostgresThrottle:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool

    def load(self, keys: list[str]) -> dict[str, ThrottleState]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM auth.login_throttle WHERE key = ANY(%s)", (keys,))
            return {
                row["key"]: ThrottleState(
                    row["failures"], row["window_started"], row["locked_until"], row["lockouts"]
                )
                for row in cur.fetchall()
            }

    def save(self, key: str, state: ThrottleState) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO auth.login_throttle (key, failures, window_started, locked_until,"
                " lockouts) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET"
                " failures = EXCLUDED.failures, window_started = EXCLUDED.window_started,"
                " locked_until = EXCLUDED.locked_until, lockouts = EXCLUDED.lockouts",
                (key, state.failures, state.window_started, state.locked_until, state.lockouts),
            )

    def clear(self, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM auth.login_throttle WHERE key = %s", (key,))


class FernetBox:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from LEDGER_SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 32:
            raise ValueError("LEDGER_SECRET_KEY must be at least 32 characters")
        key = base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest())
        self.fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self.fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored secret could not be decrypted (wrong key?)") from None


def embedded_secret_key(data_dir: Path) -> str:
    """The embedded default's key: made once, kept beside the data, readable by its owner only."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
    return path.read_text().strip()
