"""A report as a file: CSV, XLSX or PDF, the latter two branded with the reseller's name and
colours (its own when set, else the default palette).

Every format carries the same cells as the JSON: one header row of column keys, one row per
report row, and a final row whose first cell is TOTAL. Money and ratios stay exact in CSV
(Decimal strings); XLSX stores them as numbers with a display format; PDF prints the strings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from projections.reporting.report_model import Report

TOTAL = "TOTAL"
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True, slots=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def table(report: Report) -> list[list[Any]]:
    """Header, rows and the totals row, in column order."""
    keys = [c.key for c in report.columns]
    rows: list[list[Any]] = [keys]
    rows += [[row.get(k) for k in keys] for row in report.rows]
    rows.append([TOTAL, *(report.totals.get(k) for k in keys[1:])])
    return rows


def filename(report: Report, extension: str) -> str:
    q = report.query
    return (
        f"{report.reseller.code}-{report.kind}-{q.date_from.isoformat()}-{q.date_to.isoformat()}"
        f".{extension}"
    )


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table(report):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8")


def _hex(color: str) -> str:
    return color.lstrip("#").upper()


def to_xlsx(report: Report, generated_at: datetime) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = report.kind[:31]
    brand = report.reseller
    sheet.append([brand.name])
    sheet["A1"].font = Font(bold=True, size=14, color="FFFFFF")
    sheet["A1"].fill = PatternFill("solid", fgColor=_hex(brand.primary_color))
    q = report.query
    sheet.append(
        [
            f"{report.title}: {q.date_from.isoformat()} to {q.date_to.isoformat()}, "
            f"{brand.currency}, generated {generated_at.isoformat(timespec='seconds')}"
        ]
    )
    sheet.append([])
    kinds = [c.kind for c in report.columns]
    header_row = sheet.max_row + 1
    for index, row in enumerate(table(report)):
        values: list[Any] = []
        for value, kind in zip(row, kinds, strict=True):
            if index > 0 and value is not None and kind in ("money", "ratio"):
                values.append(Decimal(str(value)))
            else:
                values.append(value)
        sheet.append(values)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=_hex(brand.secondary_color))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column_index, kind in enumerate(kinds, start=1):
        number_format = {"money": "#,##0.00", "ratio": "0.0000"}.get(kind)
        if number_format is None:
            continue
        for row_cells in sheet.iter_rows(min_row=header_row + 1, min_col=column_index,
                                          max_col=column_index):  # fmt: skip
            row_cells[0].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _latin1(value: Any) -> str:
    """The PDF core fonts are Latin-1: anything else prints as '?'."""
    return ("" if value is None else str(value)).encode("latin-1", "replace").decode("latin-1")


def _fitted_cell(pdf: FPDF, width: float, height: float, value: str, style: str, **kw: Any) -> None:
    """A cell whose text shrinks (down to 5 pt) to fit its width instead of overflowing."""
    size = 7.0
    pdf.set_font("Helvetica", style, size)
    while size > 5 and pdf.get_string_width(value) > width - 2:
        size -= 0.5
        pdf.set_font("Helvetica", style, size)
    pdf.cell(width, height, value, border=1, **kw)


def to_pdf(report: Report, generated_at: datetime) -> bytes:
    brand = report.reseller
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_fill_color(*_rgb(brand.primary_color))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 12, _latin1(brand.name), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 10)
    q = report.query
    pdf.cell(
        0,
        8,
        _latin1(
            f"{report.title} | {q.date_from.isoformat()} to {q.date_to.isoformat()} | "
            f"{brand.currency} | grouped by {q.group_by} | generated "
            f"{generated_at.isoformat(timespec='seconds')}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    filters = ", ".join(f"{k}={v}" for k, v in (("service", q.service), ("status", q.status)) if v)
    if filters:
        pdf.cell(0, 6, _latin1(f"Filters: {filters}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows = table(report)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(report.columns)
    pdf.set_fill_color(*_rgb(brand.secondary_color))
    pdf.set_text_color(255, 255, 255)
    for column in report.columns:
        _fitted_cell(pdf, width, 7, _latin1(column.label), "B", fill=True)
    pdf.ln()
    pdf.set_text_color(0, 0, 0)
    for index, row in enumerate(rows[1:], start=1):
        style = "B" if index == len(rows) - 1 else ""
        for value, column in zip(row, report.columns, strict=True):
            align = "L" if column.kind == "text" else "R"
            _fitted_cell(pdf, width, 6, _latin1(value), style, align=align)
        pdf.ln()
    for note in report.notes:
        pdf.set_font("Helvetica", "I", 7)
        pdf.multi_cell(0, 5, _latin1(f"Note: {note}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def export(report: Report, file_format: str, generated_at: datetime) -> ExportFile:
    if file_format == "csv":
        content = to_csv(report)
    elif file_format == "xlsx":
        content = to_xlsx(report, generated_at)
    elif file_format == "pdf":
        content = to_pdf(report, generated_at)
    else:
        raise ValueError(f"no export format {file_format!r}")
    return ExportFile(content, MEDIA_TYPES[file_format], filename(report, file_format))
