"""RFC 9457 problem+json responses, and the mapping from every refusal to one."""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from commands.errors import CommandError
from domain.ledger.errors import DomainError

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(
        json.dumps(body, default=str), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def field_error(field: str | None, message: str) -> list[dict[str, Any]] | None:
    return [{"field": field, "message": message}] if field else None


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _location(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        raw = exc.errors()
        if len(raw) == 1 and tuple(raw[0].get("loc", ())) == ("body",):
            # The body as a whole (not JSON, not UTF-8): the message says what and where.
            return problem(422, f"invalid request body: {errors[0]['message']}", errors)
        return problem(422, f"invalid request: {fields}", errors)

    @app.exception_handler(CommandError)
    async def refused(request: Request, exc: CommandError) -> Response:
        if exc.status_code in (401, 403):
            log.warning("authorization.refused", path=request.url.path, reason=str(exc))
        return problem(
            exc.status_code, str(exc), field_error(exc.field, str(exc)), headers=exc.headers
        )

    @app.exception_handler(DomainError)
    async def domain_refused(request: Request, exc: DomainError) -> Response:
        return problem(422, str(exc), field_error(exc.field, str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("request.failed", path=request.url.path)
        return problem(500, "internal error; the request id identifies it in the logs")
