"""Payout rules without I/O: the cycle calendar, the schedule's bounds, the FX book's choice of
rate, and worked examples of the money (the seed's thresholds and ranges)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.commissions.payout_calendar import (
    covered_period,
    dispute_window_end,
    is_payment_month,
    payment_date,
)
from domain.commissions.payout_settlement import settle
from domain.commissions.payouts import PayoutAccount
from domain.ledger.errors import DomainError
from domain.ledger.fx import FxRateBook
from domain.ledger.money import Money


def test_frequencies_pay_in_their_months_for_the_months_just_ended():
    months = [date(2027, m, 1) for m in range(1, 13)]
    assert [d.month for d in months if is_payment_month("quarterly", d)] == [1, 4, 7, 10]
    assert [d.month for d in months if is_payment_month("bi-annual", d)] == [1, 7]
    assert [d.month for d in months if is_payment_month("annual", d)] == [1]
    assert covered_period("quarterly", date(2027, 1, 1)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert covered_period("monthly", date(2027, 3, 1)) == (date(2027, 2, 1), date(2027, 2, 28))


def test_payment_waits_for_five_business_days_and_falls_within_the_15th_to_20th():
    assert dispute_window_end(date(2027, 1, 1)) == date(2027, 1, 8)  # Fri -> next Fri
    assert payment_date("2027-01", 3, date(2027, 1, 1)) == date(2027, 1, 15)
    assert payment_date("2027-01", 18, date(2027, 1, 1)) == date(2027, 1, 18)
    assert payment_date("2027-01", 28, date(2027, 1, 1)) == date(2027, 1, 20)
    # A late statement still gets its full dispute window.
    assert payment_date("2027-01", 15, date(2027, 1, 14)) == date(2027, 1, 22)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"frequency": "weekly"}, "frequency"),
        ({"processing_day": 29}, "processing_day"),
        ({"minimum_threshold": Money.of("49.99", "USD")}, "minimum_threshold"),
        ({"minimum_threshold": Money.of("1000.01", "USD")}, "minimum_threshold"),
        ({"minimum_threshold": Money.of("60", "EUR")}, "minimum_threshold"),
        ({"payment_method": "cash"}, "payment_method"),
    ],
)
def test_the_schedule_stays_within_the_seed_ranges(changes, field):
    account = PayoutAccount(reseller_number=1, currency="USD")
    schedule = {
        "frequency": "monthly",
        "processing_day": 15,
        "minimum_threshold": Money.of("50", "USD"),
        "payment_method": "bank_transfer",
        "payment_currency": "USD",
        "net_against_credit": False,
    } | changes
    with pytest.raises(DomainError) as refused:
        account.set_schedule(**schedule)
    assert refused.value.field == field


def test_the_fx_book_never_uses_a_rate_recorded_after_the_instant():
    t = datetime(2027, 1, 15, 10, tzinfo=UTC)
    book = FxRateBook.open("KES", "GBP")
    book.record(Decimal("0.0061"), t - timedelta(days=1), t - timedelta(days=1))
    book.record(Decimal("0.0099"), t - timedelta(hours=2), t + timedelta(hours=1))
    assert book.rate_at(t)["rate"] == Decimal("0.0061")
    assert book.rate_at(t + timedelta(hours=1))["rate"] == Decimal("0.0099")
    assert book.rate_at(t - timedelta(days=2)) is None
    with pytest.raises(DomainError) as refused:
        book.record(Decimal("0.007"), t + timedelta(days=1), t)
    assert refused.value.field == "as_of"


def test_a_netted_converted_payout_with_vat():
    s = settle(
        3,
        Money.of("1000.00", "NGN"),
        Decimal("7.5"),
        False,
        False,
        Money.of("400.00", "NGN"),
        "USD",
        Decimal("0.00065"),
    )
    assert (s.vat, s.offset, s.due_after_offset) == (
        Money.of("75.00", "NGN"),
        Money.of("400.00", "NGN"),
        Money.of("675.00", "NGN"),
    )
    assert s.paid == Money.of("0.44", "USD")  # 675 x 0.00065 = 0.43875, half-up
    accounts = {(p.account, p.side.value, str(p.money)) for p in s.postings}
    assert accounts == {
        ("liabilities:commission_payable:3", "debit", "1000.00 NGN"),
        ("assets:vat_input", "debit", "75.00 NGN"),
        ("assets:reseller_receivable:3", "credit", "400.00 NGN"),
        ("equity:fx_conversion", "credit", "675.00 NGN"),
        ("equity:fx_conversion", "debit", "0.44 USD"),
        ("assets:cash", "credit", "0.44 USD"),
    }


def test_the_threshold_reverse_charge_and_netting_rules() -> None:
    from domain.commissions.payout_settlement import (
        below_threshold,
        credit_to_net,
        reverse_charge_applies,
        vat_country,
    )

    usd = lambda value: Money.of(value, "USD")  # noqa: E731
    assert below_threshold(usd("49.99"), usd("50.00"))
    assert not below_threshold(usd("50.00"), usd("50.00"))
    assert reverse_charge_applies("DE", "DE123", "NG")
    assert not reverse_charge_applies("DE", None, "NG")
    assert not reverse_charge_applies("NG", "NG123", "NG")
    assert vat_country("DE", True, "NG") == "NG"
    assert vat_country("DE", False, "NG") == "DE"
    assert credit_to_net("USD", "USD", usd("12.50")) == usd("12.50")
    assert credit_to_net("USD", "EUR", Money.of("12.50", "EUR")) == usd("0")
