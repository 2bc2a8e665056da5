"""A one-line progress bar on stderr for long replays: how far through the log, events/s."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_EVERY_S = 0.2


class ReplayProgress:
    """Call with (events in the batch, position reached) after each batch; `finish()` ends
    the line. Progress is by position in the log (positions may have gaps)."""

    def __init__(self, label: str, first: int, last: int, out: TextIO | None = None) -> None:
        self.label = label
        self.first = first
        self.last = last
        self.out = out or sys.stderr
        self.events = 0
        self.started = time.perf_counter()
        self._drawn_at = 0.0
        self._position = first

    def __call__(self, events: int, position: int) -> None:
        self.events += events
        self._position = position
        now = time.perf_counter()
        if now - self._drawn_at >= REDRAW_EVERY_S:
            self._drawn_at = now
            self._draw(now)

    @property
    def events_per_second(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.events / elapsed if elapsed > 0 else 0.0

    def _draw(self, now: float) -> None:
        span = self.last - self.first
        done = 1.0 if span <= 0 else min(1.0, (self._position - self.first) / span)
        filled = int(done * BAR_WIDTH)
        elapsed = now - self.started
        rate = self.events / elapsed if elapsed > 0 else 0.0
        self.out.write(
            f"\r{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:4.0%} "
            f"position {self._position}/{self.last}, {self.events:,} events, {rate:,.0f} events/s"
        )
        self.out.flush()

    def finish(self) -> None:
        self._draw(time.perf_counter())
        self.out.write("\n")
        self.out.flush()
