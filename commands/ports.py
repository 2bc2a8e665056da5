"""What the authentication use cases need from the outside, as protocols; `infra` implements
them (PostgreSQL tables for sessions and throttling, a key for encrypting TOTP secrets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.access.auth_policy import ThrottleState


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: str
    user_id: UUID
    reseller_number: int
    created_at: datetime
    last_seen_at: datetime
    security_version: int
    scope: str
    revoked_at: datetime | None
    ip: str | None
    user_agent: str | None


class SessionLimitReached(Exception):
    """The user already has the most concurrent sessions allowed and new logins are refused."""


class SessionStore(Protocol):
    def create(
        self,
        record: SessionRecord,
        token_hash: str,
        max_concurrent: int,
        evict_oldest: bool,
        active_since: datetime,
        idle_since: datetime,
    ) -> list[str]:
        """Store a new session; sessions created after `active_since` and seen after
        `idle_since` count as live. At the limit, evict the oldest (returning their ids) or
        raise `SessionLimitReached`. Atomic per user."""
        ...

    def find(self, token_hash: str) -> SessionRecord | None: ...

    def touch(self, session_id: str, now: datetime) -> None: ...

    def list_for_user(self, user_id: UUID) -> list[SessionRecord]: ...

    def revoke(self, session_ids: list[str], now: datetime, reason: str) -> list[str]:
        """Revoke those still open; returns the ids actually revoked."""
        ...

    def revoke_all(self, user_id: UUID, now: datetime, reason: str) -> list[str]: ...


class Throttle(Protocol):
    def load(self, keys: list[str]) -> dict[str, ThrottleState]: ...

    def save(self, key: str, state: ThrottleState) -> None: ...

    def clear(self, key: str) -> None: ...


class SecretBox(Protocol):
    """Authenticated encryption for secrets that must be read back (TOTP seeds)."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...
