"""Loading aggregates for a handler, with tenant scope applied: foreign ids are not found."""

from __future__ import annotations

from collections.abc import Callable
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


def load_or_carried_over(
    store: Store, aggregate_id: UUID, kind: type[T], carried_over: Callable[[], T]
) -> T:
    """An aggregate split off another one: the stored one, or, when none is stored yet,
    `carried_over()`: a new, unsaved one made from the state the old aggregate's events left
    (saving it records that state as its first event)."""
    try:
        aggregate: Aggregate = store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return carried_over()
    if not isinstance(aggregate, kind):
        raise TypeError(f"{aggregate_id} is not a {kind.__name__}")
    return aggregate
