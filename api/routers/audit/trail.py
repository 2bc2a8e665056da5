"""The audit trail (seed §10.3, §14): every event, filtered, paged and exported.

Only the master ISP's realm reads it: ISP admins and finance auditors (permission
`audit_view`, which no reseller role can hold). The whole trail spans every reseller, so a
reseller principal is refused (403) whatever it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response, StreamingResponse

from api.deps import (
    READ_WAIT_MS,
    CurrentPrincipal,
    ExactJSONRoute,
    ReadConnection,
    Services,
    WaitTimeout,
    wait_until,
)
from api.schemas import PROBLEMS, downloads
from commands.errors import Unprocessable
from commands.models import AwareDatetime
from commands.principal import Principal
from domain.access.roles import Permission
from projections.audit.trail import (
    AuditFilter,
    AuditProjector,
    count_records,
    csv_lines,
    has_record,
    head_position,
    json_lines,
    list_records,
)

router = APIRouter(prefix="/reseller/api/audit", tags=["audit"], route_class=ExactJSONRoute)
EXPORT_PAGE = 1_000


def _filters(
    actor: str | None,
    reseller_id: int | None,
    aggregate_id: UUID | None,
    aggregate_type: str | None,
    event_type: str | None,
    request_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    for name, instant in (("since", since), ("until", until)):
        if instant is not None and instant.tzinfo is None:
            raise Unprocessable(f"{name} needs a time zone", field=name)
    if since is not None and until is not None and until <= since:
        raise Unprocessable("until must be after since", field="until")
    return AuditFilter(
        actor=actor,
        reseller_id=reseller_id,
        aggregate_id=None if aggregate_id is None else str(aggregate_id),
        aggregate_type=aggregate_type,
        event_type=event_type,
        request_id=request_id,
        since=since,
        until=until,
    )


def _require(principal: Principal) -> None:
    # Nothing here belongs to one reseller, so there is no scope to resolve first.
    principal.require(Permission.AUDIT_VIEW)


@router.get("/events", responses=PROBLEMS)
def events(
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    aggregate_id: UUID | None = None,
    aggregate_type: Annotated[str | None, Query(max_length=100)] = None,
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    after: Annotated[int, Query(ge=0, description="the previous page's next_after")] = 0,
    limit: Annotated[int, Query(ge=1)] = 100,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any]:
    """Audit records oldest first: filter by actor, reseller, aggregate, event type, request
    and period (`since` inclusive, `until` exclusive); page with `after`."""
    _require(principal)
    where = _filters(
        actor, reseller_id, aggregate_id, aggregate_type, event_type, request_id, since, until
    )
    limit = min(limit, services.config.page_size_max)
    reached = _wait(services, conn, wait_for_position, wait_timeout_ms)
    items = list_records(conn, _with(where, after=after), limit)
    return {
        "items": items,
        "limit": limit,
        "next_after": items[-1]["position"] if len(items) == limit else None,
        "position_reached": reached,
    }


@router.get(
    "/export",
    response_class=Response,
    responses=downloads("text/csv", "application/x-ndjson", json=False),
)
def export(
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    format: Annotated[Literal["csv", "jsonl"], Query()] = "csv",
    actor: Annotated[str | None, Query(max_length=200)] = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    aggregate_id: UUID | None = None,
    aggregate_type: Annotated[str | None, Query(max_length=100)] = None,
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> StreamingResponse:
    """Every matching record as CSV (one row per event; JSON columns as text) or JSON lines,
    up to the position the trail had reached when the export began."""
    _require(principal)
    where = _filters(
        actor, reseller_id, aggregate_id, aggregate_type, event_type, request_id, since, until
    )
    _wait(services, conn, wait_for_position, wait_timeout_ms)
    through = head_position(conn)
    fixed = _with(where, through=through)
    cap = services.config.audit_export_max_rows
    if count_records(conn, fixed, cap + 1) > cap:
        raise Unprocessable(
            f"more than {cap} records match; narrow the period or the filters", field="since"
        )
    pages = _pages(services, fixed)
    body = csv_lines(pages) if format == "csv" else json_lines(pages)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="audit-{through}.{format}"',
            "Audit-Through-Position": str(through),
        },
    )


def _with(where: AuditFilter, **changes: Any) -> AuditFilter:
    return replace(where, **changes)


def _wait(services: Any, conn: Any, position: int | None, timeout_ms: int) -> bool:
    """Bounded read-your-writes. Every event gets a record, so the record at `position`
    shows it was reached whichever feed (store or Kafka) runs the projector; otherwise wait
    like every other query (no pooled connection held, bounded waiters)."""
    if position is None or has_record(conn, position):
        return True
    return wait_until(services, conn, AuditProjector, position, None, timeout_ms)


def _pages(services: Any, where: AuditFilter) -> Iterator[list[dict[str, Any]]]:
    """Keyset pages, each read on a connection held only for that page."""
    after = 0
    while True:
        with services.read_pool.connection() as conn:
            page = list_records(conn, _with(where, after=after), EXPORT_PAGE)
        if page:
            yield page
        if len(page) < EXPORT_PAGE:
            return
        after = page[-1]["position"]
