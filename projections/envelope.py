"""The event envelope: what the relay publishes to Kafka and what every projector consumes.

Both feeds (Kafka and the store's notification log) hand projectors the same JSON-safe envelope,
so a projection built from either is the same. Amounts stay exact: Decimals travel as strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Transcoder

from domain.ledger.ids import NO_TENANT
from domain.ledger.journal import Posting
from domain.ledger.money import Money

METADATA_KEY = "_meta"

_ENVELOPE_ONLY = ("timestamp", "originator_topic", METADATA_KEY)


def jsonable(value: Any) -> Any:
    """Event state as plain JSON types; Decimal, dates and ids become strings."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Posting):
        return {
            "account": value.account,
            "side": value.side.value,
            "amount": str(value.money.amount),
            "currency": value.money.currency,
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Envelope:
    position: int
    """The event's notification id: global, increasing, possibly with gaps."""
    aggregate_id: str
    version: int
    event_type: str
    """The event class path within its module, e.g. 'Customer.Registered'."""
    topic: str
    timestamp: str
    tenant: int
    owner: int | None
    """The reseller whose data the event changed, if any."""
    actor: dict[str, Any]
    data: dict[str, Any]
    tenant_previous: int | None = None
    """Position of the tenant's previous event, set by the relay so consumers see gaps."""

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Envelope:
        return cls(**json.loads(raw))


def envelope_from_notification(transcoder: Transcoder, notification: Notification) -> Envelope:
    state: dict[str, Any] = transcoder.decode(notification.state)
    metadata = state.get(METADATA_KEY) or {}
    timestamp = state.get("timestamp")
    data = {k: jsonable(v) for k, v in state.items() if k not in _ENVELOPE_ONLY}
    return Envelope(
        position=notification.id,
        aggregate_id=str(notification.originator_id),
        version=notification.originator_version,
        event_type=notification.topic.split(":", 1)[-1],
        topic=notification.topic,
        timestamp=timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp),
        tenant=int(metadata.get("tenant") or NO_TENANT),
        owner=metadata.get("owner"),
        actor={k: v for k, v in metadata.items() if k not in ("tenant", "owner")},
        data=data,
    )


UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
"""What PostgreSQL text and jsonb refuse: NUL, and surrogates (no UTF-8 encoding)."""
REPLACEMENT = "\ufffd"


def storable_text(text: str) -> str:
    """The text with each NUL and lone surrogate replaced by U+FFFD: always the same result,
    so a live projection and its rebuild agree."""
    if "\x00" not in text and text.isascii():
        return text
    return UNSTORABLE_TEXT.sub(REPLACEMENT, text)


def _storable(value: Any) -> Any:
    """The value with every string (keys too) storable; the very same object when it was."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, Mapping):
        cleaned = {storable_text(str(k)): _storable(v) for k, v in value.items()}
        same = len(cleaned) == len(value) and all(
            k in value and cleaned[k] is value[k] for k in cleaned
        )
        return value if same else cleaned
    if isinstance(value, list):
        items = [_storable(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def storable(envelope: Envelope) -> Envelope:
    """The envelope as a projector may write it to PostgreSQL. The store accepts any text;
    PostgreSQL text columns do not, so every projector gets this one deterministic mapping
    (applied by `projections.base.apply_batch`, live and in rebuilds alike)."""
    data = _storable(envelope.data)
    actor = _storable(envelope.actor)
    if data is envelope.data and actor is envelope.actor:
        return envelope
    return replace(envelope, data=data, actor=actor)


Store = Application[UUID]
"""The event store, as the read side sees it: a log of notifications to read in order."""


def read_envelopes(store: Store, after: int, limit: int, stop: int | None = None) -> list[Envelope]:
    notifications = store.recorder.select_notifications(
        start=after, limit=limit, stop=stop, inclusive_of_start=False
    )
    # The ledger's store seals personal data for the event path (see projections.personal).
    transcoder = getattr(store, "envelope_transcoder", store.mapper.transcoder)
    return [envelope_from_notification(transcoder, n) for n in notifications]
