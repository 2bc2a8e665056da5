"""How each projector stands: its position, its lag behind the store, its parked tenants.

Read by `/readyz` and `ledger status`. A projector's position is the furthest it has read
(the store feed's position, or the highest tenant position a Kafka feed applied); its lag is
the store positions after it (events, counting any gaps in the log's ids) and the age of the
first event it has not applied yet. Parked tenants are listed on their own (their events are
read past, not counted as lag).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection
from psycopg import sql as pgsql

from projections.base import Projector, feed_position
from projections.envelope import Store, read_envelopes
from projections.parking import ParkedTenant, parked_tenants


@dataclass(frozen=True, slots=True)
class ProjectorStatus:
    projector: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    parked: tuple[ParkedTenant, ...]

    @property
    def last_error(self) -> str | None:
        if not self.parked:
            return None
        latest = max(self.parked, key=lambda p: p.last_seen)
        return f"tenant {latest.tenant} at {latest.position}: {latest.error}"

    def problems(self, max_lag_s: float) -> list[str]:
        """Why this projector makes the service not ready (nothing when it is fine)."""
        found = []
        if self.parked:
            tenants = ", ".join(str(p.tenant) for p in self.parked)
            found.append(f"parked tenant(s) {tenants}: {self.last_error}")
        if self.lag_seconds > max_lag_s:
            found.append(
                f"lagging {self.lag_seconds:.0f}s ({self.lag_events} events) behind the store"
            )
        return found


def _position(conn: Connection[Any], projector: type[Projector]) -> int:
    row = conn.execute(
        pgsql.SQL("SELECT coalesce(max(position), 0) FROM {}.tenant_position").format(
            pgsql.Identifier(projector.live_schema())
        )
    ).fetchone()
    applied = int(row[0]) if row else 0
    return max(applied, feed_position(conn, projector))


def _first_unapplied_age_s(store: Store, position: int, now: datetime) -> float:
    following = read_envelopes(store, position, 1)
    if not following:
        return 0.0
    recorded = datetime.fromisoformat(following[0].timestamp)
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    return max(0.0, (now - recorded).total_seconds())


def projector_statuses(
    store: Store,
    conn: Connection[Any],
    projectors: Sequence[type[Projector]],
    now: datetime | None = None,
) -> list[ProjectorStatus]:
    now = now or datetime.now(UTC)
    head = store.recorder.max_notification_id() or 0
    ages: dict[int, float] = {}
    statuses = []
    for projector in projectors:
        position = _position(conn, projector)
        lag_events = max(0, head - position)
        if lag_events and position not in ages:
            ages[position] = _first_unapplied_age_s(store, position, now)
        statuses.append(
            ProjectorStatus(
                projector=projector.name,
                position=position,
                head=head,
                lag_events=lag_events,
                lag_seconds=ages.get(position, 0.0) if lag_events else 0.0,
                parked=tuple(parked_tenants(conn, projector.live_schema()).values()),
            )
        )
    return statuses
