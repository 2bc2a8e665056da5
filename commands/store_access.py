"""Loading aggregates for a handler, with tenant scope applied: foreign ids are not found."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from commands.errors import NotFound
from commands.runner import Store

T = TypeVar("T", bound=Aggregate)


def load(store: Store, aggregate_id: UUID, kind: type[T], what: str) -> T:
    try:
        aggregate: Aggregate = store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        raise NotFound(f"{what} not found") from None
    if not isinstance(aggregate, kind):
        raise NotFound(f"{what} not found")
    return aggregate


def exists(store: Store, aggregate_id: UUID) -> bool:
    try:
        store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return False
    return True
