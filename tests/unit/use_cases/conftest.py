"""The use cases' fake unit of work: each test gets a fresh in-memory ledger store (the real
handlers and domain over the eventsourcing library's in-memory persistence). It shadows the
session's PostgreSQL `store` of tests/conftest.py for this directory only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.event_store import LedgerStore
from tests.support.in_memory import in_memory_store


@pytest.fixture
def store() -> Iterator[LedgerStore]:
    store = in_memory_store()
    yield store
    store.close()
