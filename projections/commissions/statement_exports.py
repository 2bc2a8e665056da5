"""Tax statements as documents: JSON, CSV, the 1099-NEC filing export, XLSX and PDF.

A TIN appears in full only in the filing export (what the payer submits); every other output
shows it masked to its last four digits. Amounts are Decimal strings with the currency's minor
units, never floats (XLSX cells hold them as text for the same reason).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook

from domain.commissions.statements import Form1099NEC, PartyDetails
from domain.ledger.money import Money
from projections.commissions.statements import Knowledge, NecStatement, VatReport

FILING_COLUMNS = (
    "tax_year",
    "payer_tin",
    "payer_name",
    "payer_address",
    "recipient_tin",
    "recipient_name",
    "recipient_address",
    "account_number",
    "box1_nonemployee_compensation",
    "box4_federal_income_tax_withheld",
)
"""The filing export: one row per form that must be filed; TINs in full; `account_number` is
the reseller id (the payer's account number for the recipient)."""

FORM_COLUMNS = (
    "tax_year",
    "recipient_id",
    "recipient_name",
    "recipient_address",
    "recipient_tin",
    "nonemployee_compensation",
    "federal_income_tax_withheld",
    "currency",
    "payments",
    "threshold",
    "must_file",
)
VAT_COLUMNS = (
    "country",
    "vat_rate",
    "reverse_charge",
    "currency",
    "invoices",
    "net",
    "vat",
)
INVOICE_COLUMNS = (
    "invoice_number",
    "reseller_id",
    "issued_on",
    "country",
    "currency",
    "net",
    "vat_rate",
    "vat",
    "reverse_charge",
)


def _amount(money: Money) -> str:
    return str(money.amount)


def _knowledge(knowledge: Knowledge) -> dict[str, str | None]:
    return {
        "as_known_at": None if knowledge.as_known_at is None else knowledge.as_known_at.isoformat(),
        "effective_at": None
        if knowledge.effective_at is None
        else knowledge.effective_at.isoformat(),
    }


def _party(party: PartyDetails) -> dict[str, Any]:
    return {
        "name": party.name,
        "address": party.address,
        "country": party.country,
        "tin": party.masked_tin,
    }


# -- 1099-NEC -------------------------------------------------------------------------------


def _form(form: Form1099NEC, recipient: PartyDetails) -> dict[str, Any]:
    return {
        "tax_year": form.tax_year,
        "recipient_id": form.recipient,
        "recipient": _party(recipient),
        "nonemployee_compensation": _amount(form.nonemployee_compensation),
        "federal_income_tax_withheld": _amount(form.federal_income_tax_withheld),
        "currency": form.nonemployee_compensation.currency,
        "payments": form.payments,
        "must_file": form.must_file,
    }


def nec_json(statement: NecStatement, payer: PartyDetails) -> dict[str, Any]:
    forms = statement.forms
    zero = Money.zero(statement.threshold.currency)
    return {
        "tax_year": statement.tax_year,
        **_knowledge(statement.knowledge),
        "threshold": _amount(statement.threshold),
        "currency": statement.threshold.currency,
        "payer": _party(payer),
        "forms": [_form(f, statement.recipients[f.recipient]) for f in forms],
        "totals": {
            "nonemployee_compensation": _amount(
                sum((f.nonemployee_compensation for f in forms), zero)
            ),
            "federal_income_tax_withheld": _amount(
                sum((f.federal_income_tax_withheld for f in forms), zero)
            ),
            "forms": len(forms),
            "forms_to_file": sum(1 for f in forms if f.must_file),
        },
        "excluded": list(statement.excluded),
    }


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def nec_csv(statement: NecStatement) -> bytes:
    """Every form (filed or not), TINs masked."""
    return _csv(
        FORM_COLUMNS,
        (
            (
                f.tax_year,
                f.recipient,
                statement.recipients[f.recipient].name,
                statement.recipients[f.recipient].address,
                statement.recipients[f.recipient].masked_tin or "",
                _amount(f.nonemployee_compensation),
                _amount(f.federal_income_tax_withheld),
                f.nonemployee_compensation.currency,
                f.payments,
                _amount(f.threshold),
                "true" if f.must_file else "false",
            )
            for f in statement.forms
        ),
    )


def nec_filing(statement: NecStatement, payer: PartyDetails) -> bytes:
    """The forms that must be filed, with full TINs (the only output that shows them)."""
    return _csv(
        FILING_COLUMNS,
        (
            (
                f.tax_year,
                payer.tin or "",
                payer.name,
                payer.address,
                statement.recipients[f.recipient].tin or "",
                statement.recipients[f.recipient].name,
                statement.recipients[f.recipient].address,
                f.recipient,
                _amount(f.nonemployee_compensation),
                _amount(f.federal_income_tax_withheld),
            )
            for f in statement.forms
            if f.must_file
        ),
    )


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1; anything else is shown as '?' rather than failing."""
    return text.encode("latin-1", "replace").decode("latin-1")


class _Document:
    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(_latin1(title))
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self.pdf.set_font("Helvetica", style="B", size=14)
        self.line(title)
        self.pdf.set_font("Helvetica", size=10)

    def line(self, text: str = "") -> None:
        self.pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.set_font("Helvetica", style="B", size=11)
        self.line(text)
        self.pdf.set_font("Helvetica", size=10)

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def _as_of_lines(document: _Document, knowledge: Knowledge, produced_at: datetime) -> None:
    if knowledge.as_known_at is not None:
        document.line(f"As known at {knowledge.as_known_at.isoformat()}")
    if knowledge.effective_at is not None:
        document.line(f"Effective at {knowledge.effective_at.isoformat()}")
    document.line(f"Produced {produced_at.isoformat()}")


def nec_pdf(
    statement: NecStatement, recipient: int, payer: PartyDetails, produced_at: datetime
) -> bytes | None:
    """The recipient's copy of its 1099-NEC (copy B), TINs masked; None when it has no form."""
    form = next((f for f in statement.forms if f.recipient == recipient), None)
    if form is None:
        return None
    party = statement.recipients[recipient]
    document = _Document(f"Form 1099-NEC {statement.tax_year} - Copy B for recipient")
    document.line("Nonemployee Compensation")
    _as_of_lines(document, statement.knowledge, produced_at)
    document.line()
    document.heading("PAYER")
    document.line(payer.name)
    document.line(payer.address)
    document.line(f"PAYER'S TIN: {payer.masked_tin or ''}")
    document.line()
    document.heading("RECIPIENT")
    document.line(party.name)
    document.line(party.address)
    document.line(f"RECIPIENT'S TIN: {party.masked_tin or '(none on file)'}")
    document.line(f"Account number: {recipient}")
    document.line()
    document.line(f"1 Nonemployee compensation: {_amount(form.nonemployee_compensation)} USD")
    document.line(f"4 Federal income tax withheld: {_amount(form.federal_income_tax_withheld)} USD")
    document.line(f"Payments in the year: {form.payments}")
    document.line(
        f"Reporting threshold {statement.tax_year}: {_amount(statement.threshold)} USD"
        f" - {'filed with the IRS' if form.must_file else 'below the threshold, not filed'}"
    )
    return document.bytes()


# -- VAT ------------------------------------------------------------------------------------


def vat_json(report: VatReport) -> dict[str, Any]:
    statement = report.statement
    currencies = sorted({line.currency for line in statement.lines})
    return {
        "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(),
        **_knowledge(report.knowledge),
        "lines": [
            {
                "country": line.country,
                "vat_rate": str(line.vat_rate),
                "reverse_charge": line.reverse_charge,
                "currency": line.currency,
                "invoices": line.invoices,
                "net": _amount(line.net),
                "vat": _amount(line.vat),
            }
            for line in statement.lines
        ],
        "totals": [
            {
                "currency": currency,
                "net": _amount(statement.total_net(currency)),
                "vat_charged": _amount(statement.total_vat(currency, reverse_charge=False)),
                "vat_reverse_charge": _amount(statement.total_vat(currency, reverse_charge=True)),
                "vat": _amount(
                    statement.total_vat(currency, reverse_charge=False)
                    + statement.total_vat(currency, reverse_charge=True)
                ),
            }
            for currency in currencies
        ],
        "invoices": [
            {
                "invoice_number": invoice.invoice_id,
                "reseller_id": invoice.recipient,
                "issued_on": invoice.issued_on.isoformat(),
                "country": invoice.country,
                "currency": invoice.net.currency,
                "net": _amount(invoice.net),
                "vat_rate": str(invoice.vat_rate),
                "vat": _amount(invoice.vat),
                "reverse_charge": invoice.reverse_charge,
            }
            for invoice in report.invoices
        ],
    }


def _vat_rows(report: VatReport) -> list[list[Any]]:
    body = vat_json(report)
    rows = [[line[c] for c in VAT_COLUMNS] for line in body["lines"]]
    for total in body["totals"]:
        rows.append(["TOTAL", "", "", total["currency"], "", total["net"], total["vat"]])
    return rows


def vat_csv(report: VatReport) -> bytes:
    """Per country, rate and treatment, then a TOTAL row per currency."""
    return _csv(
        VAT_COLUMNS,
        (["true" if v is True else "false" if v is False else v for v in row]
         for row in _vat_rows(report)),
    )  # fmt: skip


def vat_xlsx(report: VatReport) -> bytes:
    """Sheets `Summary` (as the CSV) and `Invoices`; amounts as exact decimal text."""
    body = vat_json(report)
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    summary.append(["VAT statement", body["period_start"], body["period_end"]])
    summary.append(["as_known_at", body["as_known_at"] or "", "effective_at",
                    body["effective_at"] or ""])  # fmt: skip
    summary.append(list(VAT_COLUMNS))
    for row in _vat_rows(report):
        summary.append(row)
    invoices = book.create_sheet("Invoices")
    invoices.append(list(INVOICE_COLUMNS))
    for invoice in body["invoices"]:
        invoices.append([invoice[c] for c in INVOICE_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def vat_pdf(report: VatReport, payer: PartyDetails, produced_at: datetime) -> bytes:
    body = vat_json(report)
    document = _Document(
        f"VAT statement {body['period_start']} to {body['period_end']}: self-billed commission"
        " invoices"
    )
    document.line(f"{payer.name}, {payer.address}")
    _as_of_lines(document, report.knowledge, produced_at)
    document.line()
    document.heading("Per country, rate and treatment")
    for line in body["lines"]:
        treatment = "reverse charge" if line["reverse_charge"] else "VAT charged"
        document.line(
            f"{line['country']}  {line['vat_rate']}%  {treatment}  {line['invoices']} invoices"
            f"  net {line['net']} {line['currency']}  VAT {line['vat']} {line['currency']}"
        )
    document.line()
    document.heading("Totals")
    for total in body["totals"]:
        document.line(
            f"{total['currency']}: net {total['net']}, VAT charged {total['vat_charged']},"
            f" reverse charge {total['vat_reverse_charge']}, VAT {total['vat']}"
        )
    document.line()
    document.heading("Invoices")
    for invoice in body["invoices"]:
        document.line(
            f"{invoice['invoice_number']}  {invoice['issued_on']}  reseller"
            f" {invoice['reseller_id']}  {invoice['country']}  net {invoice['net']}"
            f"  VAT {invoice['vat']} {invoice['currency']}"
            + ("  reverse charge" if invoice["reverse_charge"] else "")
        )
    return document.bytes()
