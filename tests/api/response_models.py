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


def schema_of(document: dict[str, Any], method: str, path: str, status: int) -> str:
    """The component name the document gives a JSON success body."""
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    ref: str = content["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]
