"""The outage helper: bounded backoff per thread, one start and one end line per outage."""

from __future__ import annotations

import threading

import pytest
from structlog.testing import capture_logs

from projections.outage import Outage


def events(logs: list[dict[str, object]]) -> list[object]:
    return [entry["event"] for entry in logs if entry["log_level"] == "warning"]


def test_backoff_doubles_up_to_its_bound_and_resets_after_a_success() -> None:
    outage = Outage("database", first_backoff_s=0.1, max_backoff_s=0.5)
    pauses = [outage.failed(OSError("down")) for _ in range(5)]
    assert pauses == [0.1, 0.2, 0.4, 0.5, 0.5]
    outage.recovered()
    assert outage.failed(OSError("down again")) == 0.1


def test_many_threads_failing_and_retrying_log_one_outage() -> None:
    outage = Outage("kafka")
    failing = threading.Barrier(8)
    recovered = threading.Barrier(8)

    def feed() -> None:
        failing.wait()
        for _ in range(10):
            outage.failed(ConnectionError("refused"))
        recovered.wait()
        outage.recovered()

    with capture_logs() as logs:
        threads = [threading.Thread(target=feed) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert events(logs) == ["outage.started", "outage.ended"]
    assert outage.outages == 1 and not outage.ongoing
    ended = next(entry for entry in logs if entry["event"] == "outage.ended")
    assert ended["retries"] == 79 and ended["peer"] == "kafka"


def test_the_outage_lasts_until_the_last_failing_thread_recovers() -> None:
    outage = Outage("database")
    other_failed = threading.Event()
    finish = threading.Event()

    def other() -> None:
        outage.failed(OSError("down"))
        other_failed.set()
        finish.wait(10)
        outage.recovered()

    with capture_logs() as logs:
        thread = threading.Thread(target=other)
        thread.start()
        other_failed.wait(10)
        outage.failed(OSError("down"))
        outage.recovered()  # this thread is fine again, the other is not
        assert outage.ongoing
        finish.set()
        thread.join(timeout=10)
    assert not outage.ongoing
    assert events(logs) == ["outage.started", "outage.ended"]


def test_a_backoff_must_be_positive_and_bounded() -> None:
    with pytest.raises(ValueError):
        Outage("kafka", first_backoff_s=0, max_backoff_s=1)
    with pytest.raises(ValueError):
        Outage("kafka", first_backoff_s=2, max_backoff_s=1)
