"""Riding out a peer's outage: bounded exponential backoff, and one log line per outage.

A long-running loop (a projector feed, the relay) that depends on a peer (the database, the
broker) calls `failed(error)` when a step fails and waits the seconds it returns, and calls
`recovered()` after a step succeeds. Several threads may share one `Outage` (one per peer and
process): each thread has its own backoff, but the outage is logged once when the first thread
fails and once more when the last failing thread has recovered, never once per retry.
"""

from __future__ import annotations

import threading
import time

import structlog

log = structlog.get_logger(__name__)

FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 5.0


class Outage:
    def __init__(
        self,
        peer: str,
        first_backoff_s: float = FIRST_BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
    ) -> None:
        if not 0 < first_backoff_s <= max_backoff_s:
            raise ValueError("backoff must satisfy 0 < first <= max")
        self.peer = peer
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self._lock = threading.Lock()
        self._backoff_s: dict[int, float] = {}  # failing thread -> its next pause
        self._since: float | None = None
        self._retries = 0
        self.outages = 0
        """How many outages began (for tests and status)."""

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> float:
        """Record a failed step; returns how long this thread should pause before retrying."""
        me = threading.get_ident()
        with self._lock:
            pause = self._backoff_s.get(me, self.first_backoff_s)
            self._backoff_s[me] = min(self.max_backoff_s, pause * 2)
            if self._since is None:
                self._since = time.monotonic()
                self._retries = 0
                self.outages += 1
                log.warning("outage.started", peer=self.peer, error=repr(error))
            else:
                self._retries += 1
                log.debug("outage.retry", peer=self.peer, error=repr(error), retry_in_s=pause)
            return pause

    def recovered(self) -> None:
        """Record a successful step of this thread; the outage ends once no thread fails."""
        me = threading.get_ident()
        if self._since is None and me not in self._backoff_s:
            return  # the common case, without taking the lock
        with self._lock:
            self._backoff_s.pop(me, None)
            if self._since is not None and not self._backoff_s:
                log.warning(
                    "outage.ended",
                    peer=self.peer,
                    outage_s=round(time.monotonic() - self._since, 1),
                    retries=self._retries,
                )
                self._since = None
