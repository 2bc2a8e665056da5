"""Every operation in the OpenAPI document describes its 2xx body (issue 12: typed responses),
so that a client generated from the document knows what it gets back."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

METHODS = {"get", "post", "put", "patch", "delete"}


def undescribed_bodies(document: dict[str, Any]) -> list[str]:
    """`METHOD path status media-type` for each 2xx body whose schema says nothing (FastAPI writes
    `{}` for a route with no response model), and each operation with no 2xx at all."""
    missing: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            successes = {
                status: response
                for status, response in operation["responses"].items()
                if str(status).startswith("2")
            }
            if not successes:
                missing.append(f"{method.upper()} {path}: no 2xx response")
            for status, response in successes.items():
                if status == "204":
                    continue
                content = response.get("content") or {}
                if not content:
                    missing.append(f"{method.upper()} {path} {status}: no content")
                for media_type, body in content.items():
                    if not body.get("schema"):
                        missing.append(f"{method.upper()} {path} {status} {media_type}")
    return missing


def test_every_operation_documents_its_success_body(client: TestClient) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    assert undescribed_bodies(document) == []


def test_the_check_sees_an_untyped_route() -> None:
    untyped = {
        "paths": {
            "/x": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": {}}}}}},
                "delete": {"responses": {"204": {"description": "gone"}}},
                "post": {"responses": {"422": {"description": "bad"}}},
            }
        }
    }
    assert undescribed_bodies(untyped) == [
        "GET /x 200 application/json",
        "POST /x: no 2xx response",
    ]
