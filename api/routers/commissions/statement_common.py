"""What the tax statement routers share (their parameters, scope and file responses). Tax
statements: 1099-NEC (US resellers' commission payouts) and VAT on self-billed
commission invoices, as known at an instant or effective at a business date.

Who reads what: the master ISP every reseller's (or one named by `reseller_id`); a reseller's
principals with `report_view` their own (and sub-resellers they manage). TINs are masked in
every format but `filing`, which only the ISP may take.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict

from api.schemas import downloads
from commands.errors import Unprocessable
from commands.models import ApiDate, AwareDatetime
from commands.principal import Principal
from domain.access.roles import Permission
from projections.commissions.statements import Knowledge

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

AsKnownAt = Annotated[
    AwareDatetime | None,
    Query(description="Only what was recorded up to this instant (ISO 8601 with a UTC offset)"),
]
EffectiveAt = Annotated[
    ApiDate | None,
    Query(description="Everything known now about business dates up to this day"),
]
StatementReseller = Annotated[int | None, Query(ge=1, description="One reseller's statement")]
Year = Annotated[int, Query(ge=2000, le=2100)]


class StatementOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyOut(StatementOut):
    name: str
    address: str
    country: str
    tin: str | None
    """Masked to its last four digits."""


def json_or_files(model: type[BaseModel], *media_types: str) -> dict[int | str, dict[str, object]]:
    """`downloads(...)` whose JSON form is `model` (the route validates nothing at run time)."""
    responses = downloads(*media_types)
    return responses | {200: {**responses[200], "model": model}}


def statement_scope(principal: Principal, reseller_id: int | None) -> list[int] | None:
    """The resellers whose statements the caller may read: None means all (the ISP)."""
    if principal.is_isp_admin:
        scope = None if reseller_id is None else [reseller_id]
    else:
        scope = [principal.reseller_in_scope(reseller_id)]
    principal.require(Permission.REPORT_VIEW)
    return scope


def knowledge_of(as_known_at: datetime | None, effective_at: date | None) -> Knowledge:
    if as_known_at is not None and as_known_at.utcoffset() is None:
        raise Unprocessable("as_known_at needs a UTC offset, e.g. Z", field="as_known_at")
    return Knowledge(as_known_at=as_known_at, effective_at=effective_at)


def download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
