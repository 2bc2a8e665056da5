"""Every PostgreSQL advisory-lock key the service takes, in one place, so that no two uses
collide. The values are fixed: running deployments hold them, so never renumber one.

It lives in projections because the read side takes some of these locks and must not import
infra; infra imports its keys from here.
"""

from __future__ import annotations

import hashlib

SCHEMA_LOCK_KEY = 0x1ED6E4_0000
"""Session lock: creating the event store's tables and functions, one process at a time."""
RELAY_LOCK_KEY = 0x1ED6E4_0001
"""Session try-lock: at most one relay publishes to Kafka."""
RELAY_TABLES_LOCK_KEY = RELAY_LOCK_KEY + 1
"""Creating the relay's position tables."""
PRIVACY_LOCK_KEY = 0x1ED6E4_0010
"""Creating the privacy tables."""
CHAIN_LOCK_KEY = 0x1ED6E4_00C0
"""Transaction try-lock: at most one chainer extends the hash chain."""
CHAIN_TABLES_LOCK_KEY = CHAIN_LOCK_KEY + 1
"""Creating the chain tables."""
AUTH_TABLES_LOCK_KEY = 7305001
"""Creating the auth store's tables."""
REPORT_FILES_TABLES_LOCK_KEY = 7305002
"""Creating the report-file tables."""
AUTH_USER_LOCK_SEED = 7305
"""The seed of `hashtextextended(user id, seed)`: one lock per user's sessions."""


def _hashed_key(name: bytes) -> int:
    digest = hashlib.sha256(name).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


BI_LOCK_KEY = _hashed_key(b"bi-schema")
"""Serialises BI view (re)creation: service starts, migrations and projection swaps."""


def projector_lock_key(projector_name: str) -> int:
    """One key per projector: its batches take it shared, a rebuild exclusively."""
    return _hashed_key(f"projector:{projector_name}".encode())


FIXED_KEYS: dict[str, int] = {
    "SCHEMA_LOCK_KEY": SCHEMA_LOCK_KEY,
    "RELAY_LOCK_KEY": RELAY_LOCK_KEY,
    "RELAY_TABLES_LOCK_KEY": RELAY_TABLES_LOCK_KEY,
    "PRIVACY_LOCK_KEY": PRIVACY_LOCK_KEY,
    "CHAIN_LOCK_KEY": CHAIN_LOCK_KEY,
    "CHAIN_TABLES_LOCK_KEY": CHAIN_TABLES_LOCK_KEY,
    "AUTH_TABLES_LOCK_KEY": AUTH_TABLES_LOCK_KEY,
    "REPORT_FILES_TABLES_LOCK_KEY": REPORT_FILES_TABLES_LOCK_KEY,
    "BI_LOCK_KEY": BI_LOCK_KEY,
}
"""The single-key locks by name (the test checks they are distinct)."""
