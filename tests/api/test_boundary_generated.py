"""Bad input in every field of every operation, generated from the app's OpenAPI document.

For each operation the document lists, a valid-ish request is built from its schema, then one
field or parameter at a time gets a value the API must refuse: NUL and unpaired surrogates in
every string (issue 10), edge dates, naive instants, null lists, lenient money spellings and
wrong types (issue 11). Every such request must be a 4xx problem (never a 5xx) and must write
nothing to the store. No list of fields is kept by hand: a new route or field is covered the
moment it appears in the document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.support.openapi_walk import (
    Operation,
    Param,
    dotted,
    example,
    kind,
    leaves,
    nullable,
    operations,
    set_at,
)

UNAUTHENTICATED = ("/reseller/auth/login",)
ARABIC_123 = "\u0661\u0662\u0663"  # Arabic-Indic digits, once booked as 123.00
BAD_TEXT = {"NUL": "a\x00b", "surrogate": "a\ud800b"}
BAD_TEXT_IN_URL = {"NUL": "a%00b", "surrogate": "a%ED%A0%80b", "bad UTF-8": "a%FFb"}
BODY_CASES: dict[str, list[Any]] = {
    "date": ["0001-01-01", "9999-12-31", 0, 20260101],
    "date-time": ["2027-01-01T00:00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", 0.5],
    "decimal": [ARABIC_123, "1_000.00", "1e5", " 5.00", "+5.00", "5.", True],
    "integer": [True, False, "5"],
    "number": [True, False],
    "boolean": [1, 0, "true"],
}
QUERY_CASES: dict[str, list[str]] = {
    "date": ["0001-01-01", "9999-12-31", "0", "0.5"],
    "date-time": ["2027-01-01T00:00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0.5"],
    "decimal": [ARABIC_123, "1_000.00", "1e5", " 5.00", "+5.00"],
    "integer": ["true", "false", "0.5", "\u0661"],
}


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


@pytest.fixture(scope="module")
def ops(spec: dict[str, Any]) -> list[Operation]:
    found = operations(spec)
    assert len(found) > 50, "the document lists the API's operations"
    return found


class Probe:
    """Sends requests for one operation and records what went wrong."""

    def __init__(self, client: TestClient, store: Any, tenant: Any, isp: dict[str, str]):
        self.client = client
        self.head: Callable[[], int] = store.recorder.max_notification_id
        self.tenant = tenant
        self.isp = isp
        self.failures: list[str] = []
        self.sent = 0

    def headers(self, op: Operation, reseller: bool = False) -> dict[str, str]:
        if op.path in UNAUTHENTICATED:
            return {}
        return self.tenant.headers() if reseller else dict(self.isp)

    def fill(self, op: Operation, param: Param) -> str:
        if param.name == "reseller_id" and "integer" in (kind(param.schema), "integer"):
            return str(self.tenant.number)
        return quote(str(_param_example(param)), safe="")

    def url(self, op: Operation, bad: Param | None = None, raw: str = "") -> str:
        path = op.path
        query: list[str] = []
        for p in op.params:
            value = raw if p is bad else self.fill(op, p)
            if p.location == "path":
                path = path.replace("{" + p.name + "}", value)
            elif p.location == "query" and (p.required or p is bad):
                query.append(f"{quote(p.name)}={value}")
        return path + ("?" + "&".join(query) if query else "")

    def send(
        self,
        op: Operation,
        what: str,
        url: str,
        body: Any = None,
        reseller: bool = False,
        may_succeed: bool = False,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        headers = {**self.headers(op, reseller), **(extra_headers or {})}
        content = None
        if op.body is not None:
            content = json.dumps(body if body is not None else example(op.body))
            headers["content-type"] = "application/json"
        before = self.head()
        response = self.client.request(op.method.upper(), url, content=content, headers=headers)
        self.sent += 1
        status = response.status_code
        if status >= 500 or (not may_succeed and not 400 <= status < 500):
            self.failures.append(f"{op.name} {what}: {status} {response.text[:200]}")
        elif status >= 400 and not response.headers["content-type"].startswith(
            "application/problem+json"
        ):
            self.failures.append(f"{op.name} {what}: {status} is not problem+json")
        if not may_succeed and self.head() != before:
            self.failures.append(f"{op.name} {what}: wrote to the store")

    def check(self) -> None:
        assert self.sent > 0
        assert not self.failures, "\n".join(self.failures[:40])


def _param_example(param: Param) -> Any:
    value = example(param.schema)
    if param.location == "path" and kind(param.schema) == "string":
        return "00000000-0000-4000-8000-000000000000"
    return value


def _body_fields(op: Operation) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    if op.body is None:
        return iter(())
    return leaves(op.body)


@pytest.fixture
def probe(client: TestClient, store: Any, tenant: Any, isp_headers: dict[str, str]) -> Probe:
    return Probe(client, store, tenant, isp_headers)


def test_nul_and_surrogates_in_every_string_are_refused(ops: list[Operation], probe: Probe) -> None:
    """Issue 10 must-show 1: every string field and parameter of every operation."""
    strings = 0
    for op in ops:
        for param in op.params:
            if param.location in ("path", "query"):
                for name, raw in BAD_TEXT_IN_URL.items():
                    probe.send(
                        op, f"{param.location} {param.name} {name}", probe.url(op, param, raw)
                    )
                # and as a reseller admin (refused before any scope check, too)
                url = probe.url(op, param, BAD_TEXT_IN_URL["NUL"])
                probe.send(op, f"{param.location} {param.name} NUL (reseller)", url, reseller=True)
            elif param.location == "header":
                probe.send(
                    op,
                    f"header {param.name} NUL",
                    probe.url(op),
                    extra_headers={param.name: "a\x00b"},
                )
        base = example(op.body) if op.body is not None else None
        for path, schema in _body_fields(op):
            if kind(schema) not in ("string", "date", "date-time", "decimal"):
                continue
            strings += 1
            for name, text in BAD_TEXT.items():
                probe.send(
                    op, f"body {dotted(path)} {name}", probe.url(op), set_at(base, path, text)
                )
        if base is not None:
            probe.send(op, "a body key with NUL", probe.url(op), {**base, "k\x00": "v"})
    assert strings > 50
    probe.check()


def test_edge_dates_naive_instants_lenient_money_and_wrong_types(
    ops: list[Operation], probe: Probe
) -> None:
    """Issue 11 must-show 2: every field and parameter of the matching kind."""
    seen: dict[str, int] = {}
    for op in ops:
        for param in op.params:
            if param.location != "query":
                continue
            for value in QUERY_CASES.get(kind(param.schema), []):
                seen[kind(param.schema)] = seen.get(kind(param.schema), 0) + 1
                probe.send(op, f"query {param.name}={value!r}", probe.url(op, param, quote(value)))
        if op.body is None:
            continue
        base = example(op.body)
        for path, schema in _body_fields(op):
            field_kind = kind(schema)
            for value in BODY_CASES.get(field_kind, []):
                seen[field_kind] = seen.get(field_kind, 0) + 1
                probe.send(
                    op, f"body {dotted(path)}={value!r}", probe.url(op), set_at(base, path, value)
                )
            if field_kind == "array":
                seen["null list"] = seen.get("null list", 0) + 1
                probe.send(
                    op,
                    f"body {dotted(path)}=null",
                    probe.url(op),
                    set_at(base, path, None),
                    may_succeed=nullable(schema),
                )
    for needed in ("date", "date-time", "decimal", "integer", "boolean", "null list"):
        assert seen.get(needed, 0) > 0, f"the document has no {needed} field: {seen}"
    probe.check()
