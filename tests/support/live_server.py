"""The API served by a real uvicorn on loopback, configured exactly as `ledger serve` does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from api.deps import ApiServices
from infra.http_server import server_config
from tests.support.services import free_port

START_TIMEOUT_S = 10.0


@contextmanager
def live_server(services: ApiServices) -> Iterator[str]:
    """Yields the base URL; the server stops when the block ends."""
    port = free_port()
    server = uvicorn.Server(server_config(create_app(services), "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
