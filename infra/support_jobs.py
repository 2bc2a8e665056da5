"""The support desk's timer: a sweep that records SLA breaches (each once, escalating where
the desk says so) and auto-closes tickets resolved long enough ago. It runs as a Dramatiq job
(`infra.jobs.support_sweep_job`) on the jobs' clock, so tests drive it with a clock of their
own. Candidates come from the `support` read model; each ticket's own state decides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
import structlog

from commands.principal import Principal, RequestContext
from commands.support.tickets import auto_close, check_sla
from infra.event_store import LedgerStore

log = structlog.get_logger(__name__)
MAX_TICKETS_PER_SWEEP = 10_000


def _candidates(database_url: str, reseller_number: int | None) -> list[Any]:
    query = (
        "SELECT ticket_id FROM proj_support.tickets WHERE status <> 'closed'"
        " AND (NOT first_response_breached OR NOT resolution_breached OR status = 'resolved')"
        " AND (%(reseller)s::bigint IS NULL OR reseller_id = %(reseller)s)"
        " ORDER BY opened_at LIMIT %(limit)s"
    )
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            query, {"reseller": reseller_number, "limit": MAX_TICKETS_PER_SWEEP}
        ).fetchall()
    return [row[0] for row in rows]


def sweep_tickets(
    store: LedgerStore,
    database_url: str,
    principal: Principal,
    at: datetime,
    reseller_number: int | None = None,
) -> dict[str, int]:
    """One pass at instant `at`: how many breaches were recorded and tickets closed."""
    breaches = closed = 0
    for ticket_id in _candidates(database_url, reseller_number):
        context = RequestContext(
            principal=principal, request_id=f"job:support:{ticket_id}", received_at=at
        )
        breaches += len(check_sla(store, context, ticket_id))
        closed += int(auto_close(store, context, ticket_id))
    log.info("job.support_swept", breaches=breaches, closed=closed, at=at.isoformat())
    return {"breaches": breaches, "closed": closed}
