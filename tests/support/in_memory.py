"""The fake unit of work for the handlers' unit tests: the real store class over the
eventsourcing library's in-memory persistence, and an in-memory personal-data keyring.

`in_memory_store()` is a `LedgerStore` (same transcodings, snapshots, moved topics), so a
handler runs exactly as in production, one atomic `save` per command, with no database
anywhere. Two stand-ins make that possible: `InMemoryKeyring` (the `PersonalDataKeyring`
that `SubjectKeyring` implements over PostgreSQL) and `InMemoryRecorder`, the library's
in-memory recorder that also answers where an aggregate's first event sits in the log (what a
replayed command reports as its position; the PostgreSQL store is asked that in SQL).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from infra.event_store import LedgerStore
from infra.privacy import SubjectErased

NONCE_BYTES = 12
CIPHERTEXT_PREFIX = "mem."


class InMemoryKeyring:
    """Per-subject data keys in a dict. Text really is encrypted (AES-GCM, bound to the
    subject), so a stored event holds no plaintext, and erasing a subject makes its text
    unreadable, as with the real keyring."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes] = {}
        self._erased: set[UUID] = set()

    def seal(self, subject_id: UUID, text: str) -> str:
        if subject_id in self._erased:
            raise SubjectErased(f"subject {subject_id} has been erased")
        key = self._keys.setdefault(subject_id, AESGCM.generate_key(bit_length=256))
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(key).encrypt(nonce, text.encode(), subject_id.bytes)
        return CIPHERTEXT_PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def unseal(self, subject_id: UUID, ciphertext: str) -> str | None:
        key = self._keys.get(subject_id)
        if key is None:
            return None
        raw = base64.urlsafe_b64decode(ciphertext.removeprefix(CIPHERTEXT_PREFIX).encode())
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject_id.bytes)
        return plaintext.decode()

    def erase(self, subject_id: UUID) -> None:
        self._erased.add(subject_id)
        self._keys.pop(subject_id, None)

    def is_erased(self, subject_id: UUID) -> bool:
        return subject_id in self._erased

    def forget(self, subject_id: UUID) -> None:
        """Nothing is cached beyond the keys themselves."""

    def close(self) -> None:
        self._keys.clear()


class InMemoryRecorder(POPOApplicationRecorder):
    """The library's in-memory recorder, remembering each aggregate's first position."""

    def __init__(self) -> None:
        super().__init__()
        self._first_positions: dict[UUID, int] = {}

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super().insert_events(stored_events, **kwargs)
        for stored, position in zip(stored_events, positions or (), strict=True):
            self._first_positions.setdefault(UUID(str(stored.originator_id)), position)
        return positions

    def first_position(self, originator_id: UUID) -> int | None:
        return self._first_positions.get(originator_id)


class InMemoryFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return InMemoryRecorder()


FACTORY_TOPIC = f"{__name__}:{InMemoryFactory.__qualname__}"
# The library looks up `<APPNAME>_<KEY>` before `<KEY>`: set both, so nothing in the process
# environment can point these stores at a database.
IN_MEMORY_ENV = {"PERSISTENCE_MODULE": FACTORY_TOPIC, "LEDGER_PERSISTENCE_MODULE": FACTORY_TOPIC}


def in_memory_store() -> LedgerStore:
    """A fresh, empty ledger store that lives in this process only."""
    return LedgerStore(env=dict(IN_MEMORY_ENV), personal_data=InMemoryKeyring())


def head(store: LedgerStore) -> int:
    """The log's last position (0 when empty): take it before a command to see what it adds."""
    return store.recorder.max_notification_id() or 0


def events_since(store: LedgerStore, position: int, limit: int = 1_000) -> list[Any]:
    """The domain events recorded after `position`, in log order."""
    notifications = store.recorder.select_notifications(
        start=position, limit=limit, inclusive_of_start=False
    )
    return [store.mapper.to_domain_event(n) for n in notifications]


def event_names(events: Sequence[Any]) -> list[str]:
    """`Class.Event` of each event, e.g. `Customer.Registered`."""
    return [type(event).__qualname__ for event in events]
