"""Read-your-writes without holding the read pool: lazy request connections, one shared poller.

A query's connection (`ReadConnection`) is checked out of the pool on first use and handed
back while the query waits for `wait_for_position`. Waiters hold no connection: they register
with one poller per API process, which checks every pending position with a single short
checkout per round and wakes the waiters it reached. Waiters are bounded per principal, per
tenant and in total (below the server's worker threads), so one tenant's waits can neither
exhaust the pool nor the threads another tenant's reads need; excess waits are a 429.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import structlog
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from projections.base import Projector, has_reached

log = structlog.get_logger(__name__)
POLL_S = 0.05
"""How often the poller looks at the positions waited for."""
RETRY_AFTER_S = 1


@dataclass(frozen=True)
class WaitLimits:
    per_principal: int = 4
    per_tenant: int = 8
    total: int = 16


class TooManyWaiters(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(f"too many concurrent wait_for_position queries for this {scope}")


class LazyConnection:
    """Stands in for a pooled connection: checks one out on first use, can hand it back
    between statements (autocommit, no transaction open), and returns it at the end."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], state: Any = None) -> None:
        self._pool = pool
        self._conn: Connection[Any] | None = None
        self._closed = False
        self.state = state
        """The request's state (`request.state`): who is asking, for the waiter bounds."""

    def _acquire(self) -> Connection[Any]:
        if self._closed:
            raise RuntimeError("this request's read connection was already returned")
        if self._conn is None:
            self._conn = self._pool.getconn()
        return self._conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._acquire(), name)

    @property
    def checked_out(self) -> bool:
        return self._conn is not None

    def release(self) -> None:
        """Hand the connection back now if nothing on it is in progress."""
        conn = self._conn
        if conn is not None and conn.info.transaction_status == TransactionStatus.IDLE:
            self._conn = None
            self._pool.putconn(conn)

    def close(self) -> None:
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.putconn(conn)


@dataclass
class _Waiter:
    projector: type[Projector]
    position: int
    tenant: int | None
    reached: threading.Event = field(default_factory=threading.Event)


class PositionWaiters:
    """The process's waiters and the one poller thread that serves them (started on demand,
    gone when nobody waits)."""

    def __init__(self, poll_s: float = POLL_S) -> None:
        self.poll_s = poll_s
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []
        self._principals: Counter[str] = Counter()
        self._tenants: Counter[int | None] = Counter()
        self._pool: ConnectionPool[Connection[Any]] | None = None
        self._thread: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiters)

    def wait(
        self,
        pool: ConnectionPool[Connection[Any]],
        projector: type[Projector],
        position: int,
        tenant: int | None,
        timeout_s: float,
        principal: str,
        limits: WaitLimits,
    ) -> bool:
        waiter = _Waiter(projector, position, tenant)
        with self._lock:
            if len(self._waiters) >= limits.total:
                raise TooManyWaiters("server")
            if self._tenants[tenant] >= limits.per_tenant:
                raise TooManyWaiters("tenant")
            if self._principals[principal] >= limits.per_principal:
                raise TooManyWaiters("principal")
            self._waiters.append(waiter)
            self._tenants[tenant] += 1
            self._principals[principal] += 1
            self._pool = pool
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._poll, name="position-waiters", daemon=True
                )
                self._thread.start()
        try:
            return waiter.reached.wait(timeout_s)
        finally:
            with self._lock:
                self._waiters.remove(waiter)
                self._tenants[tenant] -= 1
                self._principals[principal] -= 1
                self._tenants += Counter()  # drop the zero counts
                self._principals += Counter()

    def _poll(self) -> None:
        while True:
            with self._lock:
                pending = [w for w in self._waiters if not w.reached.is_set()]
                pool = self._pool
                if not self._waiters or pool is None:
                    self._thread = None
                    return
            if pending:
                try:
                    self._check(pool, pending)
                except Exception as error:  # a database hiccup: the next round retries
                    log.warning("position_waiters.check_failed", error=type(error).__name__)
            time.sleep(self.poll_s)

    @staticmethod
    def _check(pool: ConnectionPool[Connection[Any]], pending: list[_Waiter]) -> None:
        groups: dict[tuple[str, int | None], list[_Waiter]] = {}
        for waiter in pending:
            groups.setdefault((waiter.projector.name, waiter.tenant), []).append(waiter)
        with pool.connection() as conn:
            for waiters in groups.values():
                # Reaching a position reaches every lower one: check upwards, stop at the first
                # that is not reached yet.
                for waiter in sorted(waiters, key=lambda w: w.position):
                    if not has_reached(conn, waiter.projector, waiter.position, waiter.tenant):
                        break
                    waiter.reached.set()
