"""Tax statements: 1099-NEC (US resellers' commission payouts) and VAT on self-billed
commission invoices, as known at an instant or effective at a business date.

Who reads what: the master ISP every reseller's (or one named by `reseller_id`); a reseller's
principals with `report_view` their own (and sub-resellers they manage). TINs are masked in
every format but `filing`, which only the ISP may take.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict

from api.deps import (
    READ_WAIT_MS,
    CurrentPrincipal,
    ExactJSONRoute,
    ReadConnection,
    Services,
    WaitTimeout,
    wait_until,
)
from api.schemas import downloads
from commands.errors import NotFound, Unprocessable
from commands.models import ApiDate, AwareDatetime
from commands.principal import Principal
from domain.access.roles import Permission
from domain.commissions.statements import vat_period
from projections.commissions.statement_exports import (
    nec_csv,
    nec_filing,
    nec_json,
    nec_pdf,
    vat_csv,
    vat_json,
    vat_pdf,
    vat_xlsx,
)
from projections.commissions.statements import (
    Knowledge,
    StatementsProjector,
    nec_statement,
    vat_report,
)

router = APIRouter(
    prefix="/reseller/api/statements", tags=["statements"], route_class=ExactJSONRoute
)

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
ResellerFilter = Annotated[int | None, Query(ge=1, description="One reseller's statement")]
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]
Year = Annotated[int, Query(ge=2000, le=2100)]


class StatementOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyOut(StatementOut):
    name: str
    address: str
    country: str
    tin: str | None
    """Masked to its last four digits."""


class Form1099NecOut(StatementOut):
    tax_year: int
    recipient_id: int
    recipient: PartyOut
    nonemployee_compensation: str
    federal_income_tax_withheld: str
    currency: str
    payments: int
    must_file: bool


class NecTotalsOut(StatementOut):
    nonemployee_compensation: str
    federal_income_tax_withheld: str
    forms: int
    forms_to_file: int


class NecExcludedOut(StatementOut):
    """A US recipient's payment that could not be stated in USD (no USD amount or rate)."""

    payout_id: str
    recipient: int
    reason: str


class Nec1099StatementOut(StatementOut):
    """`format=json`: the year's forms, TINs masked."""

    tax_year: int
    as_known_at: str | None
    effective_at: str | None
    threshold: str
    currency: str
    payer: PartyOut
    forms: list[Form1099NecOut]
    totals: NecTotalsOut
    excluded: list[NecExcludedOut]


class VatLineOut(StatementOut):
    country: str
    vat_rate: str
    reverse_charge: bool
    currency: str
    invoices: int
    net: str
    vat: str


class VatTotalOut(StatementOut):
    currency: str
    net: str
    vat_charged: str
    vat_reverse_charge: str
    vat: str


class VatInvoiceOut(StatementOut):
    invoice_number: str
    reseller_id: int
    issued_on: str
    country: str
    currency: str
    net: str
    vat_rate: str
    vat: str
    reverse_charge: bool


class VatReportOut(StatementOut):
    """`format=json`: lines per payee country, rate and treatment; totals per currency."""

    period_start: str
    period_end: str
    as_known_at: str | None
    effective_at: str | None
    lines: list[VatLineOut]
    totals: list[VatTotalOut]
    invoices: list[VatInvoiceOut]


def _json_or_files(model: type[BaseModel], *media_types: str) -> dict[int | str, dict[str, object]]:
    """`downloads(...)` whose JSON form is `model` (the route validates nothing at run time)."""
    responses = downloads(*media_types)
    return responses | {200: {**responses[200], "model": model}}


def _scope(principal: Principal, reseller_id: int | None) -> list[int] | None:
    """The resellers whose statements the caller may read: None means all (the ISP)."""
    if principal.is_isp_admin:
        scope = None if reseller_id is None else [reseller_id]
    else:
        scope = [principal.reseller_in_scope(reseller_id)]
    principal.require(Permission.REPORT_VIEW)
    return scope


def _knowledge(as_known_at: datetime | None, effective_at: date | None) -> Knowledge:
    if as_known_at is not None and as_known_at.utcoffset() is None:
        raise Unprocessable("as_known_at needs a UTC offset, e.g. Z", field="as_known_at")
    return Knowledge(as_known_at=as_known_at, effective_at=effective_at)


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/1099-nec", responses=_json_or_files(Nec1099StatementOut, "text/csv", PDF), response_model=None
)
def form_1099_nec(
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    tax_year: Year,
    as_known_at: AsKnownAt = None,
    effective_at: EffectiveAt = None,
    format: Literal["json", "csv", "filing", "pdf"] = "json",
    recipient: Annotated[int | None, Query(ge=1, description="The reseller (pdf)")] = None,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any] | Response:
    """1099-NEC forms for a tax year: per US recipient, commissions paid in the year (cash
    basis, payment date), federal income tax withheld, and whether the form must be filed
    (at or above the year's threshold, or any backup withholding)."""
    scope = _scope(principal, reseller_id)
    if format == "pdf":
        if recipient is None:
            raise Unprocessable("a pdf copy is per recipient", field="recipient")
        if scope is not None and recipient not in scope:
            principal.reseller_in_scope(recipient)  # 404 outside the caller's reach
        scope = [recipient]
    if format == "filing" and not principal.holds(Permission.RESELLER_MANAGE):
        raise HTTPException(403, "only the master ISP takes the filing export (full TINs)")
    knowledge = _knowledge(as_known_at, effective_at)
    number = scope[0] if scope else None
    wait_until(services, conn, StatementsProjector, wait_for_position, number, wait_timeout_ms)
    statement = nec_statement(conn, tax_year, knowledge, scope)
    if format == "csv":
        return _download(nec_csv(statement), CSV, f"1099-nec-{tax_year}.csv")
    if format == "filing":
        return _download(
            nec_filing(statement, services.payer), CSV, f"1099-nec-{tax_year}-filing.csv"
        )
    if format == "pdf":
        assert recipient is not None
        document = nec_pdf(statement, recipient, services.payer, services.clock())
        if document is None:
            raise NotFound(f"no {tax_year} 1099-NEC for that recipient", field="recipient")
        return _download(document, PDF, f"1099-nec-{tax_year}-{recipient}.pdf")
    return nec_json(statement, services.payer)


@router.get(
    "/vat", responses=_json_or_files(VatReportOut, "text/csv", XLSX, PDF), response_model=None
)
def vat(
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    year: Year,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    as_known_at: AsKnownAt = None,
    effective_at: EffectiveAt = None,
    format: Literal["json", "csv", "xlsx", "pdf"] = "json",
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any] | Response:
    """Self-billed commission invoices issued in a quarter or month, with their VAT per
    payee country, rate and treatment (reverse charge for cross-border B2B with a VAT id)."""
    scope = _scope(principal, reseller_id)
    period_start, period_end = vat_period(year, month=month, quarter=quarter)
    knowledge = _knowledge(as_known_at, effective_at)
    number = scope[0] if scope else None
    wait_until(services, conn, StatementsProjector, wait_for_position, number, wait_timeout_ms)
    report = vat_report(conn, period_start, period_end, knowledge, scope)
    period = f"{year}-Q{quarter}" if quarter is not None else f"{year}-{month:02d}"
    if format == "csv":
        return _download(vat_csv(report), CSV, f"vat-{period}.csv")
    if format == "xlsx":
        return _download(vat_xlsx(report), XLSX, f"vat-{period}.xlsx")
    if format == "pdf":
        return _download(
            vat_pdf(report, services.payer, services.clock()), PDF, f"vat-{period}.pdf"
        )
    return vat_json(report)
