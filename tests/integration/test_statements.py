"""1099-NEC and VAT statements over real payouts (real store, projections and API): the
thresholds by tax year, payments straddling year end, refunds of commissions, sub-reseller
pass-through, domestic and reverse-charge VAT at two rates, every total tied to the journal,
and statements as known at an instant equal to what a projection built then held."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from openpyxl import load_workbook
from pypdf import PdfReader

from domain.access.roles import Role
from projections.commissions.statement_exports import nec_json
from projections.commissions.statements import Knowledge, StatementsProjector, nec_statement
from projections.feeds import catch_up_from_store
from replays.rebuild import drop_schema
from replays.statements import write_nec_files
from tests.support.statements_world import (
    TIN,
    clawback,
    commissions_for_payment,
    pay,
    reseller_with_profile,
    set_profile,
    wait_projected,
)

NEC = "/reseller/api/statements/1099-nec"
VAT = "/reseller/api/statements/vat"


def journal_sum(
    database_url: str, account: str, side: str, start: date, end: date, owners: list[int]
) -> Decimal:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM proj_journal.journal_lines WHERE account = %s"
            " AND side = %s AND effective_date BETWEEN %s AND %s AND reseller_id = ANY(%s)",
            (account, side, start, end, owners),
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def forms_by_recipient(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {form["recipient_id"]: form for form in body["forms"]}


def test_1099_nec_thresholds_year_end_refunds_pass_through_and_journal_ties(
    store, database_url, store_feed, client, isp_headers
):
    low = reseller_with_profile(store, "US", tin="111-22-3333")
    at = reseller_with_profile(store, "US", tin="222-33-4444")
    above = reseller_with_profile(store, "US", tin=TIN, backup_withholding=True)
    parent = reseller_with_profile(
        store, "US", tin="444-55-6666", backup_withholding=True, commission_percent="20.00"
    )
    child = reseller_with_profile(
        store, "US", tin="555-66-7777", parent=parent.number, commission_percent="15.00"
    )
    abroad = reseller_with_profile(store, "NG")  # not a US payee: no 1099

    # 2025 ($600): below, at, above.
    pay(
        store,
        low,
        "2025-03",
        commissions_for_payment(store, low, "5999.90"),
        date(2025, 3, 2),
        date(2025, 3, 20),
    )
    pay(
        store,
        at,
        "2025-06",
        commissions_for_payment(store, at, "6000.00"),
        date(2025, 6, 2),
        date(2025, 6, 20),
    )
    pay(
        store,
        above,
        "2025-06",
        commissions_for_payment(store, above, "6000.10"),
        date(2025, 6, 2),
        date(2025, 6, 20),
    )
    pay(
        store,
        abroad,
        "2025-06",
        commissions_for_payment(store, abroad, "9000.00"),
        date(2025, 6, 2),
        date(2025, 6, 20),
    )
    # The statement is made in December 2025 and paid in January 2026: cash basis, 2026.
    straddle = pay(
        store,
        at,
        "2025-12",
        commissions_for_payment(store, at, "15000.00"),
        date(2025, 12, 15),
        date(2026, 1, 5),
    )
    assert straddle.paid_on == date(2026, 1, 5)
    # 2026 ($2,000): below (1,999.99, above the old $600), at (1,500 + 500), above after a
    # refund clawed back 500.00 of 2,600.00 (and backup withholding).
    pay(
        store,
        low,
        "2026-03",
        commissions_for_payment(store, low, "19999.90"),
        date(2026, 3, 2),
        date(2026, 3, 20),
    )
    pay(
        store,
        at,
        "2026-03",
        commissions_for_payment(store, at, "5000.00"),
        date(2026, 3, 2),
        date(2026, 3, 20),
    )
    refunded = pay(
        store,
        above,
        "2026-04",
        clawback(store, above, "26000.00", "5000.00"),
        date(2026, 4, 1),
        date(2026, 4, 20),
    )
    assert refunded.gross_commission.amount == Decimal("2100.00")
    # Sub-reseller pass-through: the child's customer pays 10,000.00; the child earns 15%, the
    # parent the 5% difference. Each is paid (and reported) its own share only.
    chain = commissions_for_payment(store, child, "10000.00")
    pay(store, child, "2026-05", chain, date(2026, 5, 1), date(2026, 5, 20))
    pay(store, parent, "2026-05", chain, date(2026, 5, 1), date(2026, 5, 20))
    wait_projected(database_url, store)

    mine = [low.number, at.number, above.number, parent.number, child.number, abroad.number]
    expected = {
        2025: {
            low.number: ("599.99", "0.00", False),
            at.number: ("600.00", "0.00", True),
            above.number: ("600.01", "144.00", True),
        },
        2026: {
            low.number: ("1999.99", "0.00", False),
            at.number: ("2000.00", "0.00", True),
            above.number: ("2100.00", "504.00", True),
            child.number: ("1500.00", "0.00", False),
            parent.number: ("500.00", "120.00", True),  # below, but tax was withheld
        },
    }
    for year, figures in expected.items():
        response = client.get(NEC, headers=isp_headers, params={"tax_year": year})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["threshold"] == {2025: "600.00", 2026: "2000.00"}[year]
        forms = {n: f for n, f in forms_by_recipient(body).items() if n in mine}
        assert {
            n: (f["nonemployee_compensation"], f["federal_income_tax_withheld"], f["must_file"])
            for n, f in forms.items()
        } == figures
        for number, form in forms.items():
            start, end = date(year, 1, 1), date(year, 12, 31)
            payable = f"liabilities:commission_payable:{number}"
            assert Decimal(form["nonemployee_compensation"]) == journal_sum(
                database_url, payable, "debit", start, end, [number]
            )
            assert Decimal(form["federal_income_tax_withheld"]) == journal_sum(
                database_url, "liabilities:backup_withholding", "credit", start, end, [number]
            )
            assert form["recipient"]["tin"].startswith("***-**-")
    assert body["payer"]["name"]

    # Formats: CSV (masked), the filing export (full TINs, forms to file only), the PDF copy.
    above_params = {"tax_year": 2026, "reseller_id": above.number}
    as_csv = client.get(NEC, headers=isp_headers, params={**above_params, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [
        (r["recipient_id"], r["recipient_tin"], r["nonemployee_compensation"]) for r in rows
    ] == [(str(above.number), "***-**-6789", "2100.00")]
    assert TIN not in as_csv.text

    filing = client.get(NEC, headers=isp_headers, params={"tax_year": 2026, "format": "filing"})
    assert filing.status_code == 200
    filed = {r["account_number"]: r for r in csv.DictReader(io.StringIO(filing.text))}
    assert filed[str(above.number)]["recipient_tin"] == TIN
    # The TIN is personal data: the event store holds it only encrypted.
    with psycopg.connect(database_url, autocommit=True) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM ledger_events WHERE position(%s in state) > 0",
            (TIN.encode(),),
        ).fetchone()
    assert stored == (0,)
    assert filed[str(parent.number)]["box4_federal_income_tax_withheld"] == "120.00"
    assert str(low.number) not in filed and str(child.number) not in filed

    pdf = client.get(
        NEC,
        headers=isp_headers,
        params={**above_params, "format": "pdf", "recipient": above.number},
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Payee {above.code} LLC" in text
    assert "***-**-6789" in text and TIN not in text
    assert "2100.00" in text and "504.00" in text

    # A reseller admin reads its own form only; never another's copy, never the filing export.
    own = client.get(NEC, headers=child.headers(), params={"tax_year": 2026}).json()
    assert [f["recipient_id"] for f in own["forms"]] == [child.number]
    other = client.get(
        NEC,
        headers=child.headers(),
        params={"tax_year": 2026, "format": "pdf", "recipient": above.number},
    )
    assert other.status_code == 404
    refused = client.get(
        NEC, headers=child.headers(), params={"tax_year": 2026, "format": "filing"}
    )
    assert refused.status_code == 403
    assert child.tokens.get(Role.ADMIN)


def test_vat_statement_domestic_reverse_charge_two_rates_ties_to_the_journal(
    store, database_url, store_feed, client, isp_headers
):
    domestic = reseller_with_profile(store, "NG")
    british = reseller_with_profile(store, "GB")  # no VAT id: charged at 20%
    german = reseller_with_profile(store, "DE", vat_id="DE123456789")  # reverse charge
    pay(
        store,
        domestic,
        "2024-04",
        commissions_for_payment(store, domestic, "10000.00"),
        date(2024, 4, 1),
        date(2024, 4, 22),
    )
    pay(
        store,
        british,
        "2024-05",
        commissions_for_payment(store, british, "5000.00"),
        date(2024, 5, 1),
        date(2024, 5, 20),
    )
    pay(
        store,
        german,
        "2024-06",
        commissions_for_payment(store, german, "8000.00"),
        date(2024, 6, 3),
        date(2024, 6, 20),
    )
    pay(
        store,
        domestic,
        "2024-07",
        commissions_for_payment(store, domestic, "3000.00"),
        date(2024, 7, 1),
        date(2024, 7, 22),
    )  # the next quarter
    wait_projected(database_url, store)
    mine = [domestic.number, british.number, german.number]

    q2 = {"year": 2024, "quarter": 2}
    lines = []
    for tenant in (domestic, british, german):
        body = client.get(VAT, headers=isp_headers, params={**q2, "reseller_id": tenant.number})
        assert body.status_code == 200, body.text
        lines += body.json()["lines"]
    assert sorted(
        (line["country"], line["vat_rate"], line["reverse_charge"], line["net"], line["vat"])
        for line in lines
    ) == [
        ("DE", "7.5", True, "800.00", "60.00"),
        ("GB", "20", False, "500.00", "100.00"),
        ("NG", "7.5", False, "1000.00", "75.00"),
    ]
    july_params = {"year": 2024, "month": 7, "reseller_id": domestic.number}
    july = client.get(VAT, headers=isp_headers, params=july_params)
    assert [line["net"] for line in july.json()["lines"]] == ["300.00"]

    # The whole quarter (every reseller) ties to the journal exactly.
    everything = client.get(VAT, headers=isp_headers, params=q2).json()
    (usd,) = everything["totals"]
    start, end = date(2024, 4, 1), date(2024, 6, 30)
    owners = [r["reseller_id"] for r in everything["invoices"]]
    assert set(mine) <= set(owners)
    assert Decimal(usd["vat"]) == journal_sum(
        database_url, "assets:vat_input", "debit", start, end, owners
    )
    assert Decimal(usd["vat_reverse_charge"]) == journal_sum(
        database_url, "liabilities:vat_output", "credit", start, end, owners
    )
    assert Decimal(usd["net"]) == sum(
        journal_sum(database_url, f"liabilities:commission_payable:{n}", "debit", start, end, [n])
        for n in set(owners)
    )

    csv_params = {**q2, "format": "csv", "reseller_id": german.number}
    as_csv = client.get(VAT, headers=isp_headers, params=csv_params)
    assert list(csv.reader(io.StringIO(as_csv.text))) == [
        ["country", "vat_rate", "reverse_charge", "currency", "invoices", "net", "vat"],
        ["DE", "7.5", "true", "USD", "1", "800.00", "60.00"],
        ["TOTAL", "", "", "USD", "", "800.00", "60.00"],
    ]
    xlsx = client.get(VAT, headers=isp_headers, params={**q2, "format": "xlsx"})
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    summary = [list(r) for r in book["Summary"].iter_rows(min_row=4, values_only=True)]
    assert ["GB", "20", False, "USD", 1, "500.00", "100.00"] in summary
    invoices = [r[0] for r in book["Invoices"].iter_rows(min_row=2, values_only=True)]
    assert len(invoices) == len(everything["invoices"])
    pdf = client.get(VAT, headers=isp_headers, params={**q2, "format": "pdf"})
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "reverse charge" in text and "800.00" in text and usd["vat"] in text

    own = client.get(VAT, headers=german.headers(), params=q2).json()
    assert {i["reseller_id"] for i in own["invoices"]} == {german.number}


def test_as_known_at_equals_the_captured_statement_and_a_projection_built_then(
    store, database_url, store_feed, client, isp_headers, tmp_path
):
    payee = reseller_with_profile(store, "US", tin="333-44-5555", name="Before Fix LLC")
    pay(
        store,
        payee,
        "2026-08",
        commissions_for_payment(store, payee, "15000.00"),
        date(2026, 8, 3),
        date(2026, 8, 20),
    )
    head_then = wait_projected(database_url, store)
    time.sleep(0.05)
    instant = datetime.now(UTC)
    params = {"tax_year": 2026, "reseller_id": payee.number}
    vat_params = {"year": 2026, "quarter": 3, "reseller_id": payee.number}
    captured = client.get(NEC, headers=isp_headers, params=params).json()
    captured_vat = client.get(VAT, headers=isp_headers, params=vat_params).json()
    assert forms_by_recipient(captured)[payee.number]["must_file"] is False
    time.sleep(0.05)

    # Later: the TIN and name are corrected, a July payment is recorded late (backdated), and
    # September's is paid.
    set_profile(store, payee, "US", tin="999-88-7777", name="After Fix LLC")
    pay(
        store,
        payee,
        "2026-07",
        commissions_for_payment(store, payee, "6000.00"),
        date(2026, 7, 1),
        date(2026, 7, 20),
    )
    pay(
        store,
        payee,
        "2026-09",
        commissions_for_payment(store, payee, "4000.00"),
        date(2026, 9, 1),
        date(2026, 9, 21),
    )
    wait_projected(database_url, store)

    known_then = client.get(
        NEC, headers=isp_headers, params={**params, "as_known_at": instant.isoformat()}
    ).json()
    assert known_then["as_known_at"] == instant.isoformat()
    assert known_then | {"as_known_at": None} == captured
    vat_then = client.get(
        VAT, headers=isp_headers, params={**vat_params, "as_known_at": instant.isoformat()}
    ).json()
    assert vat_then | {"as_known_at": None} == captured_vat

    now = forms_by_recipient(client.get(NEC, headers=isp_headers, params=params).json())
    assert now[payee.number]["nonemployee_compensation"] == "2500.00"
    assert now[payee.number]["recipient"] == forms_by_recipient(captured)[payee.number][
        "recipient"
    ] | {"name": "After Fix LLC", "tin": "***-**-7777"}
    effective = client.get(
        NEC, headers=isp_headers, params={**params, "effective_at": "2026-08-31"}
    ).json()
    form = forms_by_recipient(effective)[payee.number]
    assert (form["nonemployee_compensation"], form["must_file"]) == ("2100.00", True)
    assert form["recipient"]["tin"] == "***-**-7777"

    # A projection built from the log as it stood at that instant holds the same statement.
    shadow = f"proj_statements__asof_{payee.number}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        drop_schema(conn, shadow)
        StatementsProjector.create(conn, shadow)
        catch_up_from_store(store, conn, StatementsProjector, 500, schema=shadow, stop=head_then)
        built = nec_statement(conn, 2026, Knowledge(), [payee.number], schema=shadow)
        live = nec_statement(conn, 2026, Knowledge(as_known_at=instant), [payee.number])
        drop_schema(conn, shadow)
    assert built.forms == live.forms and built.recipients == live.recipients
    payer = client.app.state.services.payer
    assert nec_json(built, payer) | {"as_known_at": None} == captured

    # The CLI's writer: as known then, the recipient's copy has the old name and no filing row.
    with psycopg.connect(database_url, autocommit=True) as conn:
        then_files = write_nec_files(
            conn, payer, 2026, Knowledge(as_known_at=instant), tmp_path / "then", instant
        )
        now_files = write_nec_files(conn, payer, 2026, Knowledge(), tmp_path / "now", instant)
    copy = tmp_path / "then" / f"1099-nec-2026-recipient-{payee.number}.pdf"
    assert copy in then_files
    text = PdfReader(copy).pages[0].extract_text()
    assert "Before Fix LLC" in text and "***-**-5555" in text and "333-44-5555" not in text
    then_filing = (tmp_path / "then" / "1099-nec-2026-filing.csv").read_text()
    assert "333-44-5555" not in then_filing  # not due as known then
    now_filing = (tmp_path / "now" / "1099-nec-2026-filing.csv").read_text()
    assert "999-88-7777" in now_filing
    assert (tmp_path / "now" / "1099-nec-2026.csv") in now_files
