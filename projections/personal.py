"""Personal data on the event path: sealed in envelopes, opened just before a projector runs.

Envelopes (the Kafka payload and the store feed alike) carry each personal value sealed: its
subject and the ciphertext, never the plaintext. Whatever feeds a projector opens the values
with an `Unsealer` (the store's subject keyring) right before the batch is applied, so read
models get plaintext, or `ERASED` once the subject's key is gone; a rebuild after an erasure
therefore yields placeholders by itself. An erasure event also makes the unsealer forget any
key it still holds for that subject.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from domain.ledger.personal import ERASED
from projections.envelope import Envelope

SEALED_KEY = "sealed_personal"
"""An envelope value `{"sealed_personal": {"subject": ..., "ciphertext": ...}}` is sealed."""

ERASURE_EVENTS = frozenset({"Customer.PersonalDataErased"})
"""Event types that erase their aggregate's subject (the aggregate id is the subject id)."""


@runtime_checkable
class Unsealer(Protocol):
    def unseal(self, subject_id: UUID, ciphertext: str) -> str | None:
        """The plaintext, or None when the subject has been erased."""
        ...

    def forget(self, subject_id: UUID) -> None:
        """Drop whatever key is cached for the subject."""
        ...


def sealed(subject_id: UUID, ciphertext: str | None) -> dict[str, Any]:
    return {SEALED_KEY: {"subject": str(subject_id), "ciphertext": ciphertext}}


def is_sealed(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and SEALED_KEY in value


def unsealer_of(store: object) -> Unsealer | None:
    """The keyring of a store that has one (the ledger's store always does)."""
    keyring = getattr(store, "personal_data", None)
    return keyring if isinstance(keyring, Unsealer) else None


def _open(value: Any, unsealer: Unsealer) -> Any:
    """The value with sealed parts opened; the very same object when there are none."""
    if is_sealed(value):
        inner = value[SEALED_KEY]
        ciphertext = inner.get("ciphertext")
        text = None if ciphertext is None else unsealer.unseal(UUID(inner["subject"]), ciphertext)
        return ERASED if text is None else text
    if isinstance(value, Mapping):
        opened = {k: _open(v, unsealer) for k, v in value.items()}
        return value if all(opened[k] is v for k, v in value.items()) else opened
    if isinstance(value, list):
        items = [_open(v, unsealer) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def open_envelope(envelope: Envelope, unsealer: Unsealer) -> Envelope:
    """The envelope with its personal values in plaintext (or `ERASED`)."""
    if envelope.event_type in ERASURE_EVENTS:
        unsealer.forget(UUID(envelope.aggregate_id))
    data = _open(envelope.data, unsealer)
    return envelope if data is envelope.data else replace(envelope, data=data)
