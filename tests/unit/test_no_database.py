"""tests/unit runs with no database: the guard in tests/unit/conftest.py holds each test to it."""

import psycopg
import pytest

from tests.support.in_memory import in_memory_store


def test_opening_a_psycopg_connection_fails_the_test() -> None:
    with pytest.raises(pytest.fail.Exception, match="tests/unit runs with no database"):
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres")


def test_what_pools_call_is_refused_too() -> None:
    # ConnectionPool (and so the eventsourcing PostgreSQL store) connects through this.
    with pytest.raises(pytest.fail.Exception, match="tests/unit runs with no database"):
        psycopg.Connection.connect("postgresql://postgres@127.0.0.1:5432/postgres")


def test_the_in_memory_store_opens_no_connection() -> None:
    store = in_memory_store()
    assert store.recorder.max_notification_id() is None
    store.close()
