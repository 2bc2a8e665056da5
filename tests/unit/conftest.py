"""Unit tests run with no database: a test under tests/unit that asks for a fixture built on
the session's PostgreSQL database, or opens a psycopg connection while it is set up or runs,
fails with a message that says so (teardown is left alone: the session's own fixtures close
their databases after whichever test ran last)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

UNIT_TESTS = Path(__file__).resolve().parent
SERVICE_FIXTURES = frozenset({"database_url", "broker"})
"""Every fixture of tests/conftest.py that reaches a service (PostgreSQL, and through it
Redis; the Kafka-protocol broker) depends on one of these."""


def _refused(*args: Any, **kwargs: Any) -> Any:
    # pytest.fail raises a BaseException: no `except Exception` in the code under test can
    # swallow it and carry on as if the database were merely down.
    pytest.fail(
        "a psycopg connection was opened: tests/unit runs with no database "
        "(use tests/support/in_memory.py)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A pool connects in its own threads: a refusal there must fail the test, not just warn.
    for item in items:
        if item.path.is_relative_to(UNIT_TESTS):
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
            )


@contextmanager
def _no_database(item: pytest.Item) -> Iterator[None]:
    wanted = SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
    if wanted:
        pytest.fail(f"{item.nodeid} asks for {sorted(wanted)}: tests/unit runs with no database")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(psycopg, "connect", _refused)
        patch.setattr(psycopg.Connection, "connect", classmethod(_refused))
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _no_database(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _no_database(item):
        return (yield)
