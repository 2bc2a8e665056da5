"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Services
from projections.registry import PROJECTORS
from projections.status import projector_statuses

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: Services, response: Response) -> dict[str, Any]:
    """The database answers, the event store's table is there, and no projector is parked or
    lagging more than LEDGER_READY_MAX_LAG_S behind the store (503 naming each one)."""
    try:
        with services.read_pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
            statuses = projector_statuses(services.store, conn, list(PROJECTORS.values()))
        head = services.store.recorder.max_notification_id()
    except Exception as error:
        response.status_code = 503
        return {"status": "unavailable", "reason": type(error).__name__}
    degraded = {
        s.projector: problems
        for s in statuses
        if (problems := s.problems(services.config.ready_max_lag_s))
    }
    if degraded:
        response.status_code = 503
        return {"status": "degraded", "position": head, "projectors": degraded}
    return {"status": "ready", "position": head}
