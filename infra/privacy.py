"""Crypto-shredding: a data key per data subject, wrapped with a master key, deletable.

Every `PersonalText` is encrypted with AES-256-GCM under its subject's own 256-bit data key
when the event is stored (the `personal` transcoding), bound to the subject by the associated
data. Data keys live in `privacy.subject_keys`, each wrapped (AES-256-GCM) with the master key
(`LEDGER_PERSONAL_DATA_KEY`, else derived from `LEDGER_SECRET_KEY`). Erasing a subject deletes
its key and records the subject in `privacy.erased_subjects`, so no key is ever made for it
again: its ciphertext, wherever it was copied (the events table, the Kafka topic, backups),
can no longer be read, while the events themselves are never touched.

Keys are cached per process (bounded, with a short lifetime, so an erasure made by another
process takes effect here within `KEY_CACHE_TTL_S` at most; the erasing process and every
projector that sees the erasure event drop the key at once).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.persistence import Transcoding
from psycopg_pool import ConnectionPool

from domain.ledger.personal import PersonalText
from projections.locks import PRIVACY_LOCK_KEY
from projections.personal import SEALED_KEY, sealed

KEY_CACHE_MAX = 10_000
KEY_CACHE_TTL_S = 60.0
NONCE_BYTES = 12
CIPHERTEXT_PREFIX = "v1."
"""Names the format (AES-256-GCM, 96-bit nonce, subject id as associated data)."""

PRIVACY_DDL = (
    "CREATE SCHEMA IF NOT EXISTS privacy",
    "CREATE TABLE IF NOT EXISTS privacy.subject_keys ("
    " subject_id uuid PRIMARY KEY, wrapped_key bytea NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS privacy.erased_subjects ("
    " subject_id uuid PRIMARY KEY, erased_at timestamptz NOT NULL DEFAULT now())",
)


class SubjectErased(Exception):
    """Personal data cannot be written for a subject that has been erased."""


class MasterKeyMissing(RuntimeError):
    """Personal data was read or written by a process started without a master key."""


def ensure_privacy_tables(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PRIVACY_LOCK_KEY,))
        for statement in PRIVACY_DDL:
            conn.execute(statement)


def derived_master_key(secret_key: str) -> bytes:
    """A master key derived from LEDGER_SECRET_KEY for this purpose only (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ledger personal data master key"
    ).derive(secret_key.encode())


def parse_master_key(value: str) -> bytes:
    """LEDGER_PERSONAL_DATA_KEY: 32 bytes, URL-safe base64."""
    try:
        key = base64.urlsafe_b64decode(value.strip().encode())
    except ValueError:
        raise ValueError("LEDGER_PERSONAL_DATA_KEY must be URL-safe base64") from None
    if len(key) != 32:
        raise ValueError("LEDGER_PERSONAL_DATA_KEY must encode exactly 32 bytes")
    return key


def new_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def embedded_master_key(data_dir: Path) -> str:
    """The embedded default's master key: made once beside the data, readable by its owner."""
    path = data_dir / "personal-data.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_master_key())
    return path.read_text().strip()


class PersonalDataKeyring(Protocol):
    """What the store needs of a keyring: `SubjectKeyring` over PostgreSQL in production, an
    in-memory one in the handlers' unit tests."""

    def seal(self, subject_id: UUID, text: str) -> str:
        """The text encrypted under the subject's key; `SubjectErased` once it is erased."""
        ...

    def unseal(self, subject_id: UUID, ciphertext: str) -> str | None:
        """The plaintext, or None when the subject has been erased."""
        ...

    def erase(self, subject_id: UUID) -> None: ...

    def forget(self, subject_id: UUID) -> None: ...

    def close(self) -> None: ...


class SubjectKeyring:
    """Data keys per subject: create, read (cached), erase; seal and unseal text with them."""

    def __init__(self, database_url: str, master_key: bytes | None, pool_size: int = 4) -> None:
        # Without a master key the process still runs (the relay, say, never needs one) but
        # refuses to touch personal data.
        self._master_cipher = None if master_key is None else AESGCM(master_key)
        with psycopg.connect(database_url, autocommit=True) as conn:
            ensure_privacy_tables(conn)
        # No idle connection is held: the cache answers almost every lookup, and a process
        # that never touches personal data (the relay) never opens one.
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            database_url,
            min_size=0,
            max_size=pool_size,
            max_idle=60,
            kwargs={"autocommit": True},
            open=True,
            name="privacy-keys",
        )
        # subject -> (data key, or None once erased; monotonic expiry)
        self._cache: OrderedDict[UUID, tuple[bytes | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.close()

    # -- keys -------------------------------------------------------------------------------

    def _cached(self, subject_id: UUID) -> tuple[bool, bytes | None]:
        with self._lock:
            entry = self._cache.get(subject_id)
            if entry is None:
                return False, None
            key, expires = entry
            if key is not None and time.monotonic() > expires:
                del self._cache[subject_id]
                return False, None
            self._cache.move_to_end(subject_id)
            return True, key

    def _remember(self, subject_id: UUID, key: bytes | None) -> None:
        with self._lock:
            self._cache[subject_id] = (key, time.monotonic() + KEY_CACHE_TTL_S)
            self._cache.move_to_end(subject_id)
            while len(self._cache) > KEY_CACHE_MAX:
                self._cache.popitem(last=False)

    @property
    def _master(self) -> AESGCM:
        if self._master_cipher is None:
            raise MasterKeyMissing(
                "personal data needs LEDGER_PERSONAL_DATA_KEY (or LEDGER_SECRET_KEY) to be set"
            )
        return self._master_cipher

    def _wrap(self, subject_id: UUID, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, key, subject_id.bytes)

    def _unwrap(self, subject_id: UUID, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject_id.bytes
            )
        except InvalidTag:
            raise ValueError(
                "a personal-data key could not be unwrapped (wrong LEDGER_PERSONAL_DATA_KEY?)"
            ) from None

    def _load(self, subject_id: UUID) -> bytes | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT wrapped_key FROM privacy.subject_keys WHERE subject_id = %s",
                (subject_id,),
            ).fetchone()
        return None if row is None else self._unwrap(subject_id, bytes(row[0]))

    def key_for_reading(self, subject_id: UUID) -> bytes | None:
        """The subject's data key, or None when it has been erased."""
        hit, key = self._cached(subject_id)
        if hit:
            return key
        key = self._load(subject_id)
        self._remember(subject_id, key)
        return key

    def key_for_writing(self, subject_id: UUID) -> bytes:
        """The subject's data key, made on first use; refused once the subject is erased."""
        hit, key = self._cached(subject_id)
        if hit and key is not None:
            return key
        key = self._load(subject_id)
        if key is None:
            fresh = os.urandom(32)
            with self._pool.connection() as conn:
                conn.execute(
                    "INSERT INTO privacy.subject_keys (subject_id, wrapped_key)"
                    " SELECT %(s)s, %(k)s WHERE NOT EXISTS"
                    " (SELECT 1 FROM privacy.erased_subjects WHERE subject_id = %(s)s)"
                    " ON CONFLICT (subject_id) DO NOTHING",
                    {"s": subject_id, "k": self._wrap(subject_id, fresh)},
                )
            # Another process may have made it first: whatever is stored is the key.
            key = self._load(subject_id)
        if key is None:
            raise SubjectErased(f"subject {subject_id} has been erased")
        self._remember(subject_id, key)
        return key

    def erase(self, subject_id: UUID) -> None:
        """Delete the subject's key for good (idempotent)."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO privacy.erased_subjects (subject_id) VALUES (%s)"
                " ON CONFLICT (subject_id) DO NOTHING",
                (subject_id,),
            )
            conn.execute("DELETE FROM privacy.subject_keys WHERE subject_id = %s", (subject_id,))
        self._remember(subject_id, None)

    def forget(self, subject_id: UUID) -> None:
        with self._lock:
            self._cache.pop(subject_id, None)

    # -- text -------------------------------------------------------------------------------

    def seal(self, subject_id: UUID, text: str) -> str:
        key = self.key_for_writing(subject_id)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(key).encrypt(nonce, text.encode(), subject_id.bytes)
        return CIPHERTEXT_PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode()

    def unseal(self, subject_id: UUID, ciphertext: str) -> str | None:
        key = self.key_for_reading(subject_id)
        if key is None:
            return None
        if not ciphertext.startswith(CIPHERTEXT_PREFIX):
            raise ValueError("unknown personal-data ciphertext format")
        raw = base64.urlsafe_b64decode(ciphertext[len(CIPHERTEXT_PREFIX) :].encode())
        try:
            plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject_id.bytes)
        except InvalidTag:
            raise ValueError(f"personal data of {subject_id} failed authentication") from None
        return plaintext.decode()


class PersonalTextEncrypted(Transcoding):
    """The store's transcoding: plaintext never reaches the stored event, only ciphertext.
    Its name is stored in the data: never rename it."""

    type = PersonalText
    name = "personal"

    def __init__(self, keyring: PersonalDataKeyring) -> None:
        self.keyring = keyring

    def encode(self, obj: PersonalText) -> dict[str, str | None]:
        ciphertext = None if obj.text is None else self.keyring.seal(obj.subject_id, obj.text)
        return {"subject": str(obj.subject_id), "ciphertext": ciphertext}

    def decode(self, data: dict[str, str | None]) -> PersonalText:
        subject_id = UUID(str(data["subject"]))
        ciphertext = data["ciphertext"]
        text = None if ciphertext is None else self.keyring.unseal(subject_id, ciphertext)
        return PersonalText(subject_id, text)


class PersonalTextSealed(Transcoding):
    """The event path's transcoding: decodes a stored personal value to its sealed envelope
    form without touching any key, so the relay and Kafka only ever handle ciphertext."""

    type = PersonalText
    name = "personal"

    def encode(self, obj: PersonalText) -> dict[str, str | None]:
        raise TypeError("the event path never writes personal data")

    def decode(self, data: dict[str, str | None]) -> dict[str, Any]:
        return sealed(UUID(str(data["subject"])), data["ciphertext"])


__all__ = [
    "SEALED_KEY",
    "MasterKeyMissing",
    "PersonalDataKeyring",
    "PersonalTextEncrypted",
    "PersonalTextSealed",
    "SubjectErased",
    "SubjectKeyring",
    "derived_master_key",
    "embedded_master_key",
    "parse_master_key",
]
