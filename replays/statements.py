"""Tax statements written to a directory, for the payer's records and filing: as known at an
instant (exactly what the statement said then) or effective at a business date."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from psycopg import Connection

from domain.commissions.statements import PartyDetails, vat_period
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
from projections.commissions.statements import Knowledge, nec_statement, vat_report


def write_nec_files(
    conn: Connection[Any],
    payer: PartyDetails,
    tax_year: int,
    knowledge: Knowledge,
    out: Path,
    produced_at: datetime,
) -> list[Path]:
    """`1099-nec-<year>.json`, `.csv` (TINs masked), `-filing.csv` (full TINs) and one PDF
    copy per recipient; returns the files written."""
    statement = nec_statement(conn, tax_year, knowledge)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"1099-nec-{tax_year}"
    files = {
        out / f"{stem}.json": json.dumps(nec_json(statement, payer), indent=2).encode(),
        out / f"{stem}.csv": nec_csv(statement),
        out / f"{stem}-filing.csv": nec_filing(statement, payer),
    }
    for form in statement.forms:
        copy = nec_pdf(statement, form.recipient, payer, produced_at)
        if copy is not None:
            files[out / f"{stem}-recipient-{form.recipient}.pdf"] = copy
    for path, content in files.items():
        path.write_bytes(content)
    return sorted(files)


def write_vat_files(
    conn: Connection[Any],
    payer: PartyDetails,
    year: int,
    quarter: int | None,
    month: int | None,
    knowledge: Knowledge,
    out: Path,
    produced_at: datetime,
) -> list[Path]:
    """`vat-<period>.json`, `.csv`, `.xlsx` and `.pdf`; returns the files written."""
    start, end = vat_period(year, month=month, quarter=quarter)
    report = vat_report(conn, start, end, knowledge)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"vat-{year}-Q{quarter}" if quarter is not None else f"vat-{year}-{month:02d}"
    files = {
        out / f"{stem}.json": json.dumps(vat_json(report), indent=2).encode(),
        out / f"{stem}.csv": vat_csv(report),
        out / f"{stem}.xlsx": vat_xlsx(report),
        out / f"{stem}.pdf": vat_pdf(report, payer, produced_at),
    }
    for path, content in files.items():
        path.write_bytes(content)
    return sorted(files)


def knowledge_from(as_of: datetime | None, effective_at: date | None) -> Knowledge:
    if as_of is not None and as_of.utcoffset() is None:
        raise ValueError("--as-of needs a UTC offset, e.g. 2026-12-31T23:59:59Z")
    return Knowledge(as_known_at=as_of, effective_at=effective_at)
