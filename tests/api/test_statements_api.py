"""The statement routes refuse bad input as problem+json naming the field, and answer an empty
period with an empty, well-formed statement."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

NEC = "/reseller/api/statements/1099-nec"
VAT = "/reseller/api/statements/vat"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "tax_year"),
        ({"tax_year": "1999"}, "tax_year"),
        ({"tax_year": "twenty"}, "tax_year"),
        ({"tax_year": "2026", "format": "xml"}, "format"),
        ({"tax_year": "2026", "format": "pdf"}, "recipient"),
        ({"tax_year": "2026", "as_known_at": "2026-03-01T10:00:00"}, "as_known_at"),
        ({"tax_year": "2026", "as_known_at": "yesterday"}, "as_known_at"),
        ({"tax_year": "2026", "effective_at": "2026-02-30"}, "effective_at"),
        ({"tax_year": "2026", "recipient": "0", "format": "pdf"}, "recipient"),
    ],
)
def test_bad_1099_requests_name_the_field(client, isp_headers, params, field):
    assert_problem(client.get(NEC, headers=isp_headers, params=params), 422, field)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "2026"}, "period"),
        ({"year": "2026", "quarter": "1", "month": "2"}, "period"),
        ({"year": "2026", "quarter": "5"}, "quarter"),
        ({"year": "2026", "month": "13"}, "month"),
        ({"year": "1850", "month": "1"}, "year"),
        ({"year": "2026", "month": "1", "format": "docx"}, "format"),
        ({"year": "2026", "month": "1", "as_known_at": "2026-01-01T00:00:00"}, "as_known_at"),
    ],
)
def test_bad_vat_requests_name_the_field(client, isp_headers, params, field):
    assert_problem(client.get(VAT, headers=isp_headers, params=params), 422, field)


def test_a_pdf_copy_for_a_recipient_without_a_form_is_not_found(client, tenant):
    response = client.get(
        NEC,
        headers=tenant.headers(),
        params={"tax_year": 2031, "format": "pdf", "recipient": tenant.number},
    )
    assert_problem(response, 404, "recipient")


def test_an_empty_period_is_an_empty_statement(client, tenant):
    nec = client.get(NEC, headers=tenant.headers(), params={"tax_year": 2031})
    assert nec.status_code == 200
    assert nec.json()["forms"] == [] and nec.json()["threshold"] == "2000.00"
    vat = client.get(VAT, headers=tenant.headers(), params={"year": 2031, "month": 2})
    assert vat.json() | {"invoices": None} == {
        "period_start": "2031-02-01",
        "period_end": "2031-02-28",
        "as_known_at": None,
        "effective_at": None,
        "lines": [],
        "totals": [],
        "invoices": None,
    }
