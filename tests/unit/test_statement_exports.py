"""The statement documents: valid CSV, XLSX and PDF (text extractable), TINs masked in every
output but the filing export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from domain.commissions.statements import (
    CommissionPayment,
    PartyDetails,
    SelfBilledInvoice,
    forms_1099_nec,
    nec_amount_in_usd,
    nec_reporting_threshold,
    vat_statement,
)
from domain.ledger.money import Money
from projections.commissions.statement_exports import (
    FILING_COLUMNS,
    nec_csv,
    nec_filing,
    nec_json,
    nec_pdf,
    vat_csv,
    vat_json,
    vat_pdf,
    vat_xlsx,
)
from projections.commissions.statements import Knowledge, NecStatement, VatReport

PAYER = PartyDetails("Example ISP Inc", "1 Fiber Road, Austin TX", "12-3456789", "US")
ALICE = PartyDetails("Alice Résellér LLC", "2 Elm St, Boston MA", "123-45-6789", "US")
BOB = PartyDetails("Bob Nets", "3 Oak Ave, Reno NV", "987654321", "US")
PRODUCED = datetime(2027, 1, 10, 9, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


EVERYTHING = Knowledge()


def nec(knowledge: Knowledge = EVERYTHING) -> NecStatement:
    forms = forms_1099_nec(
        2026,
        [
            CommissionPayment(1, date(2026, 1, 15), usd("2000.00"), usd("0.00")),
            CommissionPayment(2, date(2026, 6, 15), usd("150.00"), usd("0.00")),
        ],
    )
    return NecStatement(
        2026, knowledge, nec_reporting_threshold(2026), tuple(forms), {1: ALICE, 2: BOB}, ()
    )


def test_the_forms_csv_and_json_mask_every_tin():
    statement = nec()
    text = nec_csv(statement).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["recipient_tin"], r["must_file"]) for r in rows] == [
        ("***-**-6789", "true"),
        ("*****4321", "false"),
    ]
    body = nec_json(statement, PAYER)
    assert body["payer"]["tin"] == "**-***6789"
    assert body["totals"] == {
        "nonemployee_compensation": "2150.00",
        "federal_income_tax_withheld": "0.00",
        "forms": 2,
        "forms_to_file": 1,
    }
    for secret in ("123-45-6789", "987654321", "12-3456789"):
        assert secret not in text and secret not in str(body)


def test_the_filing_export_has_full_tins_and_only_the_forms_to_file():
    rows = list(csv.reader(io.StringIO(nec_filing(nec(), PAYER).decode())))
    assert rows == [
        list(FILING_COLUMNS),
        [
            "2026",
            "12-3456789",
            "Example ISP Inc",
            "1 Fiber Road, Austin TX",
            "123-45-6789",
            "Alice Résellér LLC",
            "2 Elm St, Boston MA",
            "1",
            "2000.00",
            "0.00",
        ],
    ]


def test_the_recipient_pdf_copy_reads_back_with_masked_tins():
    known = Knowledge(as_known_at=datetime(2027, 1, 5, tzinfo=UTC))
    document = nec_pdf(nec(known), 1, PAYER, PRODUCED)
    assert document is not None and document.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
    assert "Alice Résellér LLC" in text and "Example ISP Inc" in text
    assert "***-**-6789" in text and "123-45-6789" not in text and "12-3456789" not in text
    assert "2000.00" in text and "2027-01-05" in text
    assert nec_pdf(nec(), 3, PAYER, PRODUCED) is None


def vat() -> VatReport:
    invoices = [
        SelfBilledInvoice("SB-A-1", 1, date(2026, 1, 20), "NG", usd("100.00"), Decimal("7.5"),
                          usd("7.50"), False),
        SelfBilledInvoice("SB-B-1", 2, date(2026, 2, 20), "DE", usd("200.00"), Decimal("7.5"),
                          usd("15.00"), True),
        SelfBilledInvoice("SB-C-1", 3, date(2026, 3, 20), "GB", usd("50.00"), Decimal("20"),
                          usd("10.00"), False),
    ]  # fmt: skip
    return VatReport(
        Knowledge(), vat_statement(date(2026, 1, 1), date(2026, 3, 31), invoices), tuple(invoices)
    )


def test_the_vat_statement_renders_as_csv_xlsx_and_pdf():
    report = vat()
    assert vat_json(report)["totals"] == [
        {
            "currency": "USD",
            "net": "350.00",
            "vat_charged": "17.50",
            "vat_reverse_charge": "15.00",
            "vat": "32.50",
        }
    ]
    rows = list(csv.reader(io.StringIO(vat_csv(report).decode())))
    assert rows[1:] == [
        ["DE", "7.5", "true", "USD", "1", "200.00", "15.00"],
        ["GB", "20", "false", "USD", "1", "50.00", "10.00"],
        ["NG", "7.5", "false", "USD", "1", "100.00", "7.50"],
        ["TOTAL", "", "", "USD", "", "350.00", "32.50"],
    ]
    book = load_workbook(io.BytesIO(vat_xlsx(report)))
    assert book.sheetnames == ["Summary", "Invoices"]
    summary = list(book["Summary"].iter_rows(min_row=4, values_only=True))
    assert summary[-1] == ("TOTAL", None, None, "USD", None, "350.00", "32.50")
    assert [r[0] for r in book["Invoices"].iter_rows(min_row=2, values_only=True)] == [
        "SB-A-1",
        "SB-B-1",
        "SB-C-1",
    ]
    text = PdfReader(io.BytesIO(vat_pdf(report, PAYER, PRODUCED))).pages[0].extract_text()
    assert "reverse charge" in text and "SB-B-1" in text and "32.50" in text


def test_nec_amounts_convert_only_at_the_rate_recorded_with_a_usd_payment():
    assert nec_amount_in_usd(usd("10.00"), "EUR", None) == usd("10.00")
    assert nec_amount_in_usd(Money.of("1000.00", "EUR"), "USD", Decimal("1.0825")) == usd("1082.50")
    assert nec_amount_in_usd(Money.of("1000.00", "EUR"), "EUR", None) is None
