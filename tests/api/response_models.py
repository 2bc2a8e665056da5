"""Checking a real response body against the model the OpenAPI document names for it."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel


def documented(response: httpx.Response, model: type[BaseModel]) -> dict[str, Any]:
    """The body, after checking it is exactly the model: strict JSON validation (no coercion:
    a number where the model says a decimal string fails) and, since the models forbid extra
    fields, no field the model leaves out."""
    assert 200 <= response.status_code < 300, response.text
    assert model.model_config.get("extra") == "forbid", f"{model.__name__} must forbid extras"
    model.model_validate_json(response.text, strict=True)
    body: dict[str, Any] = response.json()
    return body


Operation = tuple[str, str, int, type[BaseModel]]
"""(method, path template, success status, the model its JSON body is documented as)."""


def misnamed(document: dict[str, Any], operations: list[Operation]) -> list[str]:
    """The operations whose JSON success body the document does not give as their model."""
    wrong = []
    for method, path, status, model in operations:
        content = document["paths"][path][method]["responses"][str(status)]["content"]
        ref: str = content["application/json"]["schema"].get("$ref", "")
        if ref.rsplit("/", 1)[-1] != model.__name__:
            wrong.append(f"{method.upper()} {path} {status}: {ref or 'no model'}")
    return wrong
