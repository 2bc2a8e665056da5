"""VAT on self-billed commission invoices, per quarter or month, as known at an instant or
effective at a business date; see `statement_common` for who reads what."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import (
    READ_WAIT_MS,
    CurrentPrincipal,
    ExactJSONRoute,
    ReadConnection,
    Services,
    WaitTimeout,
    wait_until,
)
from api.routers.commissions.params import Wait
from api.routers.commissions.statement_common import (
    CSV,
    PDF,
    XLSX,
    AsKnownAt,
    EffectiveAt,
    StatementOut,
    StatementReseller,
    Year,
    download,
    json_or_files,
    knowledge_of,
    statement_scope,
)
from domain.commissions.statements import vat_period
from projections.commissions.statement_exports import vat_csv, vat_json, vat_pdf, vat_xlsx
from projections.commissions.statements import StatementsProjector, vat_report

router = APIRouter(
    prefix="/reseller/api/statements", tags=["statements"], route_class=ExactJSONRoute
)


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


@router.get(
    "/vat", responses=json_or_files(VatReportOut, "text/csv", XLSX, PDF), response_model=None
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
    reseller_id: StatementReseller = None,
    wait_for_position: Wait = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any] | Response:
    """Self-billed commission invoices issued in a quarter or month, with their VAT per
    payee country, rate and treatment (reverse charge for cross-border B2B with a VAT id)."""
    scope = statement_scope(principal, reseller_id)
    period_start, period_end = vat_period(year, month=month, quarter=quarter)
    knowledge = knowledge_of(as_known_at, effective_at)
    number = scope[0] if scope else None
    wait_until(services, conn, StatementsProjector, wait_for_position, number, wait_timeout_ms)
    report = vat_report(conn, period_start, period_end, knowledge, scope)
    period = f"{year}-Q{quarter}" if quarter is not None else f"{year}-{month:02d}"
    if format == "csv":
        return download(vat_csv(report), CSV, f"vat-{period}.csv")
    if format == "xlsx":
        return download(vat_xlsx(report), XLSX, f"vat-{period}.xlsx")
    if format == "pdf":
        return download(vat_pdf(report, services.payer, services.clock()), PDF, f"vat-{period}.pdf")
    return vat_json(report)
