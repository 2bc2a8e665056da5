"""Response shapes, for the OpenAPI document and for clients."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ResellerOut(BaseModel):
    reseller_id: int
    reseller_code: str
    name: str
    country: str
    currency: str
    parent_reseller_id: int | None
    level: int
    status: str
    credit_limit: str | None = None
    commission_percent: str | None = None
    customer_limit: int | None = None
    customers: int | None = None
    allowed_services: list[str] | None = None
    inherited_branding: bool | None = None
    version: int | None = None
    """The reseller aggregate's version, for `If-Match` on a change of its terms."""


class CustomerOut(BaseModel):
    customer_id: str
    portal_id: str
    reseller_id: int
    customer_type: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    phone: str | None
    address: str | None
    city: str | None
    status: str
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class ErasedCustomerOut(CustomerOut):
    personal_data_erased: bool


class CustomerPageOut(BaseModel):
    items: list[CustomerOut]
    total: int
    limit: int
    offset: int
    next_after: str | None
    """Pass as `after` for the next page; null on the last one."""
    position_reached: bool


class CreditAccountOut(BaseModel):
    reseller_id: int
    currency: str
    credit_limit: str
    effective_limit: str
    balance: str
    charged_total: str
    paid_total: str
    available: str
    utilization: str | None
    state: str
    alerts: list[str]
    policy: dict[str, Any]
    emergency_credit: dict[str, Any] | None
    collections: dict[str, Any] | None
    version: int


class TrialBalanceOut(BaseModel):
    balances: dict[str, str]
    balanced: bool
    position_reached: bool


class AccountBalanceOut(BaseModel):
    account: str
    currency: str
    balance: str


class TokenOut(BaseModel):
    token_id: str
    token: str
    label: str
    role: str
    reseller_id: int | None
    expires_at: str | None


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str | None]] | None = None


PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 409, 412, 413, 422, 429, 503)
}
"""400: a body that is not JSON text at all (not UTF-8); 429: throttled or too many waiters
(with Retry-After); 503: the database is unavailable (with Retry-After)."""


TEXT_MEDIA_TYPES = ("text/csv", "application/x-ndjson")


def file_schema(media_type: str) -> dict[str, str]:
    """A file body: text for CSV and JSON lines, bytes for the rest (PDF, XLSX, uploads)."""
    if media_type in TEXT_MEDIA_TYPES:
        return {"type": "string"}
    return {"type": "string", "format": "binary"}


BINARY_FILE: dict[int | str, dict[str, object]] = PROBLEMS | {
    200: {
        "description": "The stored file, with the media type it was uploaded as",
        "content": {"*/*": {"schema": file_schema("application/octet-stream")}},
    }
}


def downloads(*media_types: str, json: bool = True) -> dict[int | str, dict[str, object]]:
    """PROBLEMS plus a 200 that may be a file of these media types (and JSON, by default)."""
    content: dict[str, object] = {m: {"schema": file_schema(m)} for m in media_types}
    if json:
        content = {"application/json": {}, **content}  # the route's response model fills it in
    return PROBLEMS | {
        200: {"description": "The report, or the file asked for", "content": content}
    }
