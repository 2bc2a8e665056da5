"""1099-NEC and VAT statement rules (pure): thresholds by tax year, cash basis, masking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.commissions.statements import (
    CommissionPayment,
    SelfBilledInvoice,
    forms_1099_nec,
    mask_tin,
    nec_reporting_threshold,
    vat_period,
    vat_statement,
)
from domain.ledger.errors import DomainError
from domain.ledger.money import Money


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def paid(recipient: int, on: date, amount: str, withheld: str = "0") -> CommissionPayment:
    return CommissionPayment(recipient, on, usd(amount), usd(withheld))


@pytest.mark.parametrize(
    ("year", "threshold"),
    [(2024, "600"), (2025, "600"), (2026, "2000"), (2027, "2000")],
)
def test_threshold_by_tax_year(year: int, threshold: str) -> None:
    assert nec_reporting_threshold(year) == usd(threshold)


@pytest.mark.parametrize(
    ("year", "amount", "must_file"),
    [
        (2025, "599.99", False),
        (2025, "600.00", True),
        (2025, "600.01", True),
        (2026, "600.00", False),
        (2026, "1999.99", False),
        (2026, "2000.00", True),
        (2026, "2000.01", True),
    ],
)
def test_below_at_and_above_the_threshold(year: int, amount: str, must_file: bool) -> None:
    (form,) = forms_1099_nec(year, [paid(7, date(year, 6, 1), amount)])
    assert form.nonemployee_compensation == usd(amount)
    assert form.must_file is must_file


def test_cash_basis_payments_straddling_the_year_end() -> None:
    payments = [
        paid(7, date(2025, 12, 31), "500.00"),
        paid(7, date(2026, 1, 1), "150.00"),
        paid(7, date(2025, 3, 15), "200.00"),
    ]
    (form_2025,) = forms_1099_nec(2025, payments)
    (form_2026,) = forms_1099_nec(2026, payments)
    assert form_2025.nonemployee_compensation == usd("700.00")
    assert form_2025.payments == 2
    assert form_2025.must_file
    assert form_2026.nonemployee_compensation == usd("150.00")
    assert not form_2026.must_file


def test_repaid_commissions_reduce_the_year_they_are_repaid_in() -> None:
    payments = [
        paid(7, date(2025, 5, 1), "650.00"),
        paid(7, date(2025, 9, 1), "-60.00"),
        paid(7, date(2026, 1, 10), "-100.00"),
    ]
    (form_2025,) = forms_1099_nec(2025, payments)
    (form_2026,) = forms_1099_nec(2026, payments)
    assert form_2025.nonemployee_compensation == usd("590.00")
    assert not form_2025.must_file
    # A year with only repayments reports nothing, never a negative amount.
    assert form_2026.nonemployee_compensation == usd("0")


def test_backup_withholding_makes_a_form_due_whatever_the_amount() -> None:
    (form,) = forms_1099_nec(2026, [paid(9, date(2026, 2, 1), "100.00", withheld="24.00")])
    assert form.federal_income_tax_withheld == usd("24.00")
    assert form.must_file


def test_one_form_per_recipient_and_usd_only() -> None:
    forms = forms_1099_nec(2025, [paid(2, date(2025, 1, 2), "1"), paid(1, date(2025, 1, 3), "2")])
    assert [f.recipient for f in forms] == [1, 2]
    with pytest.raises(DomainError):
        forms_1099_nec(
            2025,
            [CommissionPayment(1, date(2025, 1, 1), Money.of("5", "EUR"), Money.zero("EUR"))],
        )


@pytest.mark.parametrize(
    ("tin", "masked"),
    [
        ("123-45-6789", "***-**-6789"),
        ("12-3456789", "**-***6789"),
        ("123456789", "*****6789"),
    ],
)
def test_tin_masked_to_the_last_four(tin: str, masked: str) -> None:
    assert mask_tin(tin) == masked


def test_vat_periods() -> None:
    assert vat_period(2026, quarter=4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert vat_period(2024, month=2) == (date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(DomainError):
        vat_period(2026, quarter=5)
    with pytest.raises(DomainError):
        vat_period(2026)


def test_vat_statement_groups_by_country_rate_and_treatment() -> None:
    def invoice(n: int, on: date, country: str, net: str, rate: str, vat: str, rc: bool):
        return SelfBilledInvoice(
            f"SB-{n}", n, on, country, Money.of(net, "EUR"), Decimal(rate), Money.of(vat, "EUR"), rc
        )

    statement = vat_statement(
        date(2026, 1, 1),
        date(2026, 3, 31),
        [
            invoice(1, date(2026, 1, 31), "DE", "100.00", "19", "19.00", False),
            invoice(2, date(2026, 2, 28), "DE", "50.00", "19", "9.50", False),
            invoice(3, date(2026, 3, 31), "DE", "10.00", "7", "0.70", False),
            invoice(4, date(2026, 2, 1), "FR", "200.00", "19", "38.00", True),
            invoice(5, date(2026, 4, 1), "DE", "999.00", "19", "189.81", False),
        ],
    )
    assert [(line.country, line.vat_rate, line.reverse_charge) for line in statement.lines] == [
        ("DE", Decimal("7"), False),
        ("DE", Decimal("19"), False),
        ("FR", Decimal("19"), True),
    ]
    assert statement.total_net("EUR") == Money.of("360.00", "EUR")
    assert statement.total_vat("EUR", reverse_charge=False) == Money.of("29.20", "EUR")
    assert statement.total_vat("EUR", reverse_charge=True) == Money.of("38.00", "EUR")
