"""Input refused at the boundary: text no store can hold, and JSON that says what is wrong.

PostgreSQL text cannot hold NUL, and UTF-8 cannot encode an unpaired surrogate, so a string
carrying either would be accepted by the write side and then stall every projection that
reads it. This module refuses them before any route runs:

- `TextBoundary` (ASGI middleware) checks every query parameter (percent-decoded bytes must
  be valid UTF-8), the path's encoding and every header; a bad one is a 422 naming it;
  `refuse_path_params` (run by every API route) names a bad path parameter.
- `parse_json_body` decodes a request body with exact numbers, reports a syntax error with its
  line and column (and says so when it meets `//` or `/*` comments), and refuses a bad string
  anywhere in the document, keys included, naming its path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def unsafe_text_reason(value: str) -> str | None:
    """Why a string cannot be stored as text, or None when it can."""
    found = _UNSAFE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (\\u0000)"
    return "must not contain an unpaired surrogate (\\ud800-\\udfff)"


def _refusal(field: str, message: str, where: str) -> list[dict[str, Any]]:
    return [{"type": "value_error", "loc": (where, field), "msg": message, "input": None}]


Path = tuple[str | int, ...]


def _bad_strings(value: Any, path: Path) -> tuple[Path, str] | None:
    if isinstance(value, str):
        reason = unsafe_text_reason(value)
        return (path, reason) if reason else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _bad_strings(item, (*path, index))
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = unsafe_text_reason(key)
            if reason:
                return (*path, key.encode("unicode_escape").decode()), f"a key {reason}"
            found = _bad_strings(item, (*path, key))
            if found:
                return found
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_json_body(body: bytes) -> Any:
    """The body as JSON with Decimal numbers, or a RequestValidationError saying where."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _body_error(
            f"the body is not valid UTF-8 (byte {error.start})", "invalid_encoding"
        ) from None
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        rest = text[error.pos : error.pos + 2]
        comment = rest in ("//", "/*") or (
            rest[:1] == "/" and text[max(0, error.pos - 1) : error.pos + 1] in ("//", "/*")
        )
        what = "comments are not JSON" if comment else error.msg
        raise _body_error(
            f"invalid JSON at line {error.lineno}, column {error.colno}: {what}", "json_invalid"
        ) from None
    except ValueError as error:
        raise _body_error(f"invalid JSON: {error}", "json_invalid") from None
    found = _bad_strings(document, ())
    if found:
        path, reason = found
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", *path), "msg": reason, "input": None}]
        )
    return document


def _body_error(message: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body",), "msg": message, "input": None}])


class TextBoundary:
    """Refuse NUL, unpaired surrogates and invalid UTF-8 in the path, query and headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = self._check(scope)
            if refused is not None:
                field, message = refused
                response = problem(
                    422,
                    f"invalid request: {field}",
                    [{"field": field, "message": message}],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> tuple[str, str] | None:
        return self._query(scope) or self._path(scope) or self._headers(scope)

    @staticmethod
    def _query(scope: Scope) -> tuple[str, str] | None:
        raw: bytes = scope.get("query_string", b"")
        for pair in raw.split(b"&"):
            if not pair:
                continue
            name_raw, _, value_raw = pair.partition(b"=")
            name_bytes = unquote_to_bytes(name_raw.replace(b"+", b" "))
            name = name_bytes.decode("utf-8", "backslashreplace")
            try:
                name_text = name_bytes.decode("utf-8")
                value = unquote_to_bytes(value_raw.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return name, "must be valid UTF-8 once percent-decoded"
            reason = unsafe_text_reason(name_text)
            if reason:
                return name.replace("\x00", "\\u0000"), f"a parameter name {reason}"
            reason = unsafe_text_reason(value)
            if reason:
                return name, reason
        return None

    @staticmethod
    def _path(scope: Scope) -> tuple[str, str] | None:
        """Invalid UTF-8 in the path; NUL in a path parameter is named by `refuse_path_params`
        once routing knows the parameter's name."""
        raw: bytes = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return "path", "must be valid UTF-8 once percent-decoded"
        return None

    @staticmethod
    def _headers(scope: Scope) -> tuple[str, str] | None:
        for name, value in scope.get("headers", ()):
            if b"\x00" in value:
                return name.decode("latin-1"), "must not contain the NUL character"
        return None


def refuse_path_params(path_params: dict[str, Any]) -> None:
    """A 422 naming the first path parameter no store can hold."""
    for name, value in path_params.items():
        reason = unsafe_text_reason(value) if isinstance(value, str) else None
        if reason:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("path", name), "msg": reason, "input": None}]
            )


def refuse_unknown_query(sent: Iterable[str], known: frozenset[str]) -> None:
    """A 422 naming the first query parameter the route does not take: a misspelt or
    unsupported filter must never be ignored silently (it would widen the answer)."""
    for name in sent:
        if name not in known:
            raise RequestValidationError(
                [
                    {
                        "type": "extra_forbidden",
                        "loc": ("query", name),
                        "msg": "unknown query parameter",
                        "input": None,
                    }
                ]
            )
