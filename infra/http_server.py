"""How `ledger serve` runs the API under uvicorn (one place, so tests run it the same way)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """uvicorn's proxy headers are off: by default it believes X-Forwarded-For from any
    loopback peer. The client address is decided by the app alone (`api.client_address`,
    LEDGER_TRUSTED_PROXIES)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        forwarded_allow_ips=[],
    )
