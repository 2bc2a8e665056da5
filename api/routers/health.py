"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Services

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: Services, response: Response) -> dict[str, Any]:
    """The database answers and the event store's table is there."""
    try:
        with services.read_pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        head = services.store.recorder.max_notification_id()
    except Exception as error:
        response.status_code = 503
        return {"status": "unavailable", "reason": type(error).__name__}
    return {"status": "ready", "position": head}
