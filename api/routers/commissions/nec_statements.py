"""1099-NEC forms (US resellers' commission payouts), as known at an instant or effective at a
business date; see `statement_common` for who reads what."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response

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
    AsKnownAt,
    EffectiveAt,
    PartyOut,
    StatementOut,
    StatementReseller,
    Year,
    download,
    json_or_files,
    knowledge_of,
    statement_scope,
)
from commands.errors import NotFound, Unprocessable
from domain.access.roles import Permission
from projections.commissions.statement_exports import nec_csv, nec_filing, nec_json, nec_pdf
from projections.commissions.statements import StatementsProjector, nec_statement

router = APIRouter(
    prefix="/reseller/api/statements", tags=["statements"], route_class=ExactJSONRoute
)


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


@router.get(
    "/1099-nec", responses=json_or_files(Nec1099StatementOut, "text/csv", PDF), response_model=None
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
    reseller_id: StatementReseller = None,
    wait_for_position: Wait = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any] | Response:
    """1099-NEC forms for a tax year: per US recipient, commissions paid in the year (cash
    basis, payment date), federal income tax withheld, and whether the form must be filed
    (at or above the year's threshold, or any backup withholding)."""
    scope = statement_scope(principal, reseller_id)
    if format == "pdf":
        if recipient is None:
            raise Unprocessable("a pdf copy is per recipient", field="recipient")
        if scope is not None and recipient not in scope:
            principal.reseller_in_scope(recipient)  # 404 outside the caller's reach
        scope = [recipient]
    if format == "filing" and not principal.holds(Permission.RESELLER_MANAGE):
        raise HTTPException(403, "only the master ISP takes the filing export (full TINs)")
    knowledge = knowledge_of(as_known_at, effective_at)
    number = scope[0] if scope else None
    wait_until(services, conn, StatementsProjector, wait_for_position, number, wait_timeout_ms)
    statement = nec_statement(conn, tax_year, knowledge, scope)
    if format == "csv":
        return download(nec_csv(statement), CSV, f"1099-nec-{tax_year}.csv")
    if format == "filing":
        return download(
            nec_filing(statement, services.payer), CSV, f"1099-nec-{tax_year}-filing.csv"
        )
    if format == "pdf":
        assert recipient is not None
        document = nec_pdf(statement, recipient, services.payer, services.clock())
        if document is None:
            raise NotFound(f"no {tax_year} 1099-NEC for that recipient", field="recipient")
        return download(document, PDF, f"1099-nec-{tax_year}-{recipient}.pdf")
    return nec_json(statement, services.payer)
