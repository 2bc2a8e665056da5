"""Keeping the OpenAPI document and the server in agreement (issue 11 §11).

- `Idempotency-Key` is advertised only where a key is taken: on writes, not on reads, and not on
  the writes whose response holds a secret (token issuance, password reset, a webhook
  subscription's creation and secret rotation), which refuse one.
- A 405 names every method the path has in `Allow` (Starlette names only the first route's).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.problems import problem

IDEMPOTENCY_HEADER = "Idempotency-Key"
WRITES = {"post", "put", "patch", "delete"}
REFUSE_IDEMPOTENCY_KEY = {
    ("post", "/reseller/api/tokens"),
    ("post", "/reseller/api/users/{user_id}/reset-password"),
    ("post", "/reseller/api/webhooks/subscriptions"),
    ("post", "/reseller/api/webhooks/subscriptions/{subscription_id}/rotate-secret"),
}
"""Their responses hold a secret that must not be stored, so a key is refused (422)."""


def _without_idempotency_key(document: dict[str, Any]) -> dict[str, Any]:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method in WRITES and (method, path) not in REFUSE_IDEMPOTENCY_KEY:
                continue
            parameters = operation.get("parameters")
            if parameters:
                operation["parameters"] = [
                    p
                    for p in parameters
                    if not (p.get("in") == "header" and p.get("name") == IDEMPOTENCY_HEADER)
                ]
    return document


def install_exact_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _without_idempotency_key(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    templates: list[tuple[re.Pattern[str], set[str]]] = []

    @app.exception_handler(405)
    async def method_not_allowed(request: Request, exc: Exception) -> Response:
        if not templates:
            for path, operations in app.openapi().get("paths", {}).items():
                pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
                methods = {m.upper() for m in operations}
                if "GET" in methods:
                    methods.add("HEAD")
                templates.append((re.compile(f"^{pattern}$"), methods))
        allowed: set[str] = set()
        for template, methods in templates:
            if template.match(request.url.path):
                allowed |= methods
        detail = exc.detail if isinstance(exc, StarletteHTTPException) else "Method Not Allowed"
        headers = {"Allow": ", ".join(sorted(allowed))} if allowed else None
        return problem(405, str(detail), headers=headers)
