"""Runs one command: idempotency, one atomic append, bounded optimistic-concurrency retry.

A handler loads what it needs, calls domain methods and returns an `Outcome`: the aggregates
with new events, the response, and the tenant the events belong to. The runner stamps each new
event with the actor metadata, adds the idempotency record when the request carries a key, and
saves everything in one transaction. A lost race reloads and runs the whole handler again, a
bounded number of times; a refused command writes nothing. Both a lost race and a refusal
first re-read the idempotency record: when a request with the same key committed meanwhile,
its response answers this one too (the first response, byte for byte).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from commands.errors import CommandError, Conflict, Gone, Unprocessable
from commands.positions import recorded_position
from commands.principal import RequestContext
from domain.ledger.errors import DomainError
from domain.ledger.idempotency import MAX_KEY_LENGTH, IdempotencyRecord, idempotency_record_id
from domain.ledger.personal import PersonalText

Store = Application[UUID]

METADATA_ATTRIBUTE = "_meta"
MAX_ATTEMPTS = 16
BACKOFF_BASE_S = 0.002
BACKOFF_CAP_S = 0.1


@dataclass(frozen=True, slots=True)
class Outcome:
    aggregates: Sequence[Aggregate]
    body: Mapping[str, Any]
    tenant_number: int
    """The root reseller of the data changed (0 for ISP-level data): the partition key."""
    owner_number: int | None
    """The reseller whose data changed, if any."""
    status_code: int = 200
    personal_subject: UUID | None = None
    """Whose personal data the response shows: its stored copy (the idempotency record) is
    then encrypted with that subject's key, and erased with it."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    status_code: int
    body: str
    """The response body as JSON text; a replay returns these same bytes."""
    position: int | None
    """The notification id of the command's last event (for a replay: of its idempotency
    record, saved last with them)."""
    replayed: bool = False


def fingerprint(*parts: object) -> str:
    """A stable digest of what a request asks for, to tell a retry from a reused key."""
    canonical = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_scope(context: RequestContext) -> str:
    principal = context.principal
    return f"{principal.realm}:{principal.reseller_number}:{principal.subject}"


def _stored_response(
    store: Store, record_id: UUID, request_fingerprint: str
) -> CommandResult | None:
    try:
        record: Aggregate = store.repository.get(record_id)
    except AggregateNotFoundError:
        return None
    if not isinstance(record, IdempotencyRecord):
        raise TypeError(f"{record_id} is not an idempotency record")
    if record.fingerprint != request_fingerprint:
        raise Unprocessable(
            "this Idempotency-Key was already used for a different request",
            field="Idempotency-Key",
        )
    body = record.response_body
    if isinstance(body, PersonalText):
        if body.text is None:
            raise Gone(
                "the response to this Idempotency-Key showed personal data that has since been "
                "erased",
                field="Idempotency-Key",
            )
        body = body.text
    return CommandResult(
        status_code=record.status_code,
        body=body,
        position=recorded_position(store, record_id),
        replayed=True,
    )


def _answered_meanwhile(
    store: Store, record_id: UUID | None, request_fingerprint: str
) -> CommandResult | None:
    """The response a request with the same key committed since the first look, if any."""
    if record_id is None:
        return None
    return _stored_response(store, record_id, request_fingerprint)


def _metadata(context: RequestContext, outcome: Outcome) -> dict[str, Any]:
    principal = context.principal
    return {
        "tenant": outcome.tenant_number,
        "owner": outcome.owner_number,
        "reseller": principal.reseller_number,
        "user": principal.subject,
        "session": principal.session_id,
        "role": principal.role.value,
        "realm": principal.realm,
        "ip": context.client_ip,
        "user_agent": context.user_agent,
        "request_id": context.request_id,
        "idempotency_key": context.idempotency_key,
        # When the request arrived: reports date lifecycle events (registrations, churn) by it.
        "received_at": context.received_at.isoformat(),
    }


def run_command(
    store: Store,
    context: RequestContext,
    handler: Callable[[], Outcome],
    request_fingerprint: str,
    max_attempts: int = MAX_ATTEMPTS,
) -> CommandResult:
    key = context.idempotency_key
    record_id: UUID | None = None
    if key is not None:
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise Unprocessable(
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
                field="Idempotency-Key",
            )
        record_id = idempotency_record_id(_idempotency_scope(context), key)
        earlier = _stored_response(store, record_id, request_fingerprint)
        if earlier is not None:
            return earlier

    for attempt in range(max_attempts):
        try:
            outcome = handler()
        except (DomainError, CommandError) as error:
            # A refusal can be the twin's own success: a request with the same key committed
            # after the look above ("this invoice was already issued", "already active", a
            # natural key now taken). Its response is the answer, not the refusal.
            earlier = _answered_meanwhile(store, record_id, request_fingerprint)
            if earlier is not None:
                return earlier
            if isinstance(error, DomainError):
                raise Unprocessable(str(error), field=error.field) from None
            raise
        body = json.dumps(outcome.body, separators=(",", ":"), default=str)
        aggregates: list[Aggregate] = list(outcome.aggregates)
        if key is not None:
            aggregates.append(
                IdempotencyRecord(
                    scope=_idempotency_scope(context),
                    key=key,
                    fingerprint=request_fingerprint,
                    status_code=outcome.status_code,
                    response_body=(
                        body
                        if outcome.personal_subject is None
                        else PersonalText(outcome.personal_subject, body)
                    ),
                )
            )
        metadata = _metadata(context, outcome)
        for aggregate in aggregates:
            for event in aggregate.pending_events:
                # Events are frozen; the metadata rides along in the stored state, outside the
                # domain's fields, so domain methods never have to thread it through.
                object.__setattr__(event, METADATA_ATTRIBUTE, metadata)
        try:
            # Saving the aggregates (not bare events) lets the store take their snapshots.
            recordings = store.save(*aggregates)
        except IntegrityError:
            earlier = _answered_meanwhile(store, record_id, request_fingerprint)
            if earlier is not None:
                return earlier
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))  # noqa: S311
            continue
        position = recordings[-1].notification.id if recordings else None
        return CommandResult(outcome.status_code, body, position)
    raise Conflict("the resource changed concurrently too often; try again")
