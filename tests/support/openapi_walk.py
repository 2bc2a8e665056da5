"""Walk the app's OpenAPI document: every operation, its parameters and its body's fields.

Generated bad-input tests use it so that no operation, parameter or field is left out by a
hand list: `operations(spec)` lists what the document says, `example(schema)` builds a
valid-ish value, and `leaves(schema)` yields every field of a body (nested objects and arrays
included) with its kind, so a test can put a bad value in each one.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path | query | header
    schema: dict[str, Any]
    required: bool


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: list[Param]
    body: dict[str, Any] | None
    security: bool = True
    tags: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, values: dict[str, str] | None = None) -> str:
        """The path with every path parameter filled (an example, or the given raw text)."""
        url = self.path
        for p in self.params:
            if p.location == "path":
                text = (values or {}).get(p.name, str(example_param(p)))
                url = url.replace("{" + p.name + "}", text)
        return url

    def query(self) -> dict[str, str]:
        """Every required query parameter with an example value."""
        return {
            p.name: str(example_param(p))
            for p in self.params
            if p.location == "query" and p.required
        }


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {
            **spec["components"]["schemas"][name],
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
    return schema


def deref(spec: dict[str, Any], schema: Any) -> Any:
    """The schema with every $ref replaced (the document has no recursive models)."""
    if isinstance(schema, dict):
        schema = resolve(spec, schema)
        return {k: deref(spec, v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [deref(spec, item) for item in schema]
    return schema


def operations(spec: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in sorted(spec["paths"].items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                Param(
                    p["name"],
                    p["in"],
                    deref(spec, p.get("schema", {})),
                    bool(p.get("required", False)),
                )
                for p in op.get("parameters", [])
            ]
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append(
                Operation(
                    method,
                    path,
                    params,
                    None if body is None else deref(spec, body),
                    tags=list(op.get("tags", [])),
                )
            )
    return found


def branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (itself when it has none)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [b for s in schema[key] for b in branches(s) if b.get("type") != "null"]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return branches({**schema["allOf"][0]})
    return [schema]


def nullable(schema: dict[str, Any]) -> bool:
    for key in ("anyOf", "oneOf"):
        if key in schema and any(s.get("type") == "null" or nullable(s) for s in schema[key]):
            return True
    return schema.get("type") == "null"


def kind(schema: dict[str, Any]) -> str:
    """string | decimal | date | date-time | integer | number | boolean | array | object | any."""
    options = branches(schema)
    if any(b.get("format") == "decimal" for b in options):
        return "decimal"
    first = options[0] if options else {}
    if "enum" in first or "const" in first:
        value = (first.get("enum") or [first.get("const")])[0]
        return (
            "boolean"
            if isinstance(value, bool)
            else ("integer" if isinstance(value, int) else "string")
        )
    kind_of = first.get("type", "any")
    if kind_of == "string" and first.get("format") in ("date", "date-time"):
        return str(first["format"])
    return str(kind_of)


def example(schema: dict[str, Any]) -> Any:
    """A value the schema accepts, or close to it."""
    if schema.get("examples"):
        candidate = schema["examples"][0]
        if not (isinstance(candidate, str) and "\x00" in candidate):
            return copy.deepcopy(candidate)
    if "default" in schema and schema["default"] is not None:
        return copy.deepcopy(schema["default"])
    options = branches(schema)
    chosen = options[0] if options else {}
    if "enum" in chosen:
        return chosen["enum"][0]
    if "const" in chosen:
        return chosen["const"]
    match kind(schema):
        case "decimal":
            return "10.00"
        case "date":
            return "2026-01-15"
        case "date-time":
            return "2026-01-15T00:00:00Z"
        case "integer":
            return max(int(chosen.get("minimum", 1)), 1)
        case "number":
            return max(chosen.get("minimum", 1), 1)
        case "boolean":
            return False
        case "array":
            count = max(int(chosen.get("minItems", 1)), 1)
            return [example(chosen.get("items", {})) for _ in range(count)]
        case "object":
            props = chosen.get("properties", {})
            return {name: example(sub) for name, sub in props.items()}
        case "string":
            return _example_string(chosen)
    return "x"


def _example_string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "email":
        return "someone@example.com"
    length = max(int(schema.get("minLength", 1)), 1)
    return ("abcdefghij" * 30)[:length] if "pattern" not in schema else "AB12" * 2


def example_param(param: Param) -> Any:
    value = example(param.schema)
    if param.name.endswith("_id") and kind(param.schema) == "string":
        return str(uuid.uuid4())
    return value


def leaves(schema: dict[str, Any], path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every field of a body: (where, its schema), objects and arrays included, then their
    members (an array's first item stands for all)."""
    for option in branches(schema)[:1]:
        if path:
            yield path, schema
        if option.get("type") == "object" or "properties" in option:
            for name, sub in option.get("properties", {}).items():
                yield from leaves(sub, (*path, name))
        elif option.get("type") == "array" and "items" in option:
            yield from leaves(option["items"], (*path, 0))


def set_at(document: Any, path: Path, value: Any) -> Any:
    """A deep copy of the document with the value at the path (containers made as needed)."""
    result = copy.deepcopy(document)
    target = result
    for step, following in itertools.pairwise(path):
        if isinstance(step, int):
            while len(target) <= step:
                target.append({} if isinstance(following, str) else [])
        elif step not in target or not isinstance(target[step], dict | list):
            target[step] = [] if isinstance(following, int) else {}
        target = target[step]
    last = path[-1]
    if isinstance(last, int):
        while len(target) <= last:
            target.append(None)
    target[last] = value
    return result


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)
