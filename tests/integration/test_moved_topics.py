"""Events stored before the contexts' layout still load after it (issue 12).

`tests/fixtures/stored_before_layout.json` holds stored rows (events and snapshots) captured from
the test suite's databases at the commit before the layout moved the domain's modules: for every
topic the suite stored, the history of one aggregate up to the first event of that topic. Their
topics name the old modules (`domain.customer:Customer.Registered`). Here they are written into a
fresh store as they were stored, and read back through the store's mapper and repository."""

from __future__ import annotations

import base64
import importlib
import inspect
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.ledger.topics import MOVED_MODULES, topics_of
from tests.conftest import prepared_store
from tests.support.services import throwaway_database

FIXTURE = Path(__file__).parent.parent / "fixtures" / "stored_before_layout.json"


def _captured() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["aggregates"]
    return rows


def _stored(oid: str, entry: list[Any]) -> StoredEvent:
    version, topic, state = entry
    return StoredEvent(
        originator_id=UUID(oid),
        originator_version=int(version),
        topic=str(topic),
        state=base64.b64decode(state),
    )


@pytest.fixture(scope="module")
def old_store() -> Any:
    with throwaway_database("ledger_moved") as url:
        store = prepared_store(url)
        for aggregate in _captured():
            recorder = (
                store.snapshots.recorder  # type: ignore[union-attr]
                if aggregate["kind"] == "snapshots"
                else store.recorder
            )
            for entry in aggregate["history"]:
                recorder.insert_events([_stored(aggregate["originator_id"], entry)])
        yield store
        store.close()


def test_the_fixture_covers_every_moved_module_that_has_aggregates() -> None:
    stored_modules = {
        entry[1].partition(":")[0] for aggregate in _captured() for entry in aggregate["history"]
    }
    with_aggregates = {
        old
        for old, new_modules in MOVED_MODULES.items()
        for new in new_modules
        for obj in vars(importlib.import_module(new)).values()
        if inspect.isclass(obj) and issubclass(obj, Aggregate) and obj.__module__ == new
    }
    assert len(with_aggregates) >= 15
    assert with_aggregates <= stored_modules


def test_every_old_event_decodes_to_the_class_where_it_lives_now(old_store: Any) -> None:
    decoded = 0
    for aggregate in _captured():
        if aggregate["kind"] != "events":
            continue
        for entry in aggregate["history"]:
            stored = _stored(aggregate["originator_id"], entry)
            event = old_store.mapper.to_domain_event(stored)
            old_module, _, qualname = stored.topic.partition(":")
            assert type(event).__qualname__ == qualname
            if old_module in MOVED_MODULES:
                assert type(event).__module__ in MOVED_MODULES[old_module]
                assert stored.topic in topics_of(type(event))
                assert get_topic(type(event)) != stored.topic
            decoded += 1
    assert decoded >= 100


def test_every_old_aggregate_loads_from_its_old_events_and_snapshots(old_store: Any) -> None:
    loaded = 0
    for aggregate in _captured():
        last_version = aggregate["history"][-1][0]
        if aggregate["kind"] == "snapshots":
            snapshot = old_store.snapshots.get(UUID(aggregate["originator_id"]))  # type: ignore[union-attr]
            assert snapshot is not None
        loaded_aggregate = old_store.repository.get(
            UUID(aggregate["originator_id"]), version=last_version
        )
        assert isinstance(loaded_aggregate, Aggregate)
        assert loaded_aggregate.version == last_version
        loaded += 1
    assert loaded == len(_captured())


def test_a_filtered_read_of_the_log_finds_events_under_their_old_topic(old_store: Any) -> None:
    from domain.customers.customer import Customer

    found = old_store.recorder.select_notifications(
        start=0, limit=10_000, topics=topics_of(Customer.Registered)
    )
    old = [n for n in found if n.topic == "domain.customer:Customer.Registered"]
    assert old, "the fixture has Customer.Registered events stored under the old topic"
