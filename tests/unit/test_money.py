from decimal import Decimal

import pytest

from domain.ledger.money import Money, MoneyError, percent_of, ratio, round_down, round_half_up


def test_amounts_are_exact_in_minor_units():
    assert Money.of("99.99", "USD").minor == 9999
    assert Money.of(5, "JPY").amount == Decimal("5")
    assert Money.of("1.500", "BHD").minor == 1500
    assert str(Money.of("10", "USD")) == "10.00 USD"


@pytest.mark.parametrize("bad", [0.1, 1.0, True, None, "abc", "NaN", "Infinity"])
def test_floats_and_non_numbers_are_refused(bad):
    with pytest.raises(MoneyError):
        Money.of(bad, "USD")


def test_more_decimal_places_than_the_currency_allows_is_refused():
    with pytest.raises(MoneyError, match="decimal places"):
        Money.of("10.005", "USD")
    with pytest.raises(MoneyError):
        Money.of("1.5", "JPY")


def test_unknown_currency_is_refused():
    with pytest.raises(MoneyError, match="unknown currency"):
        Money.of("1", "XXX")


def test_arithmetic_never_mixes_currencies():
    with pytest.raises(MoneyError):
        Money.of("1", "USD") + Money.of("1", "EUR")
    with pytest.raises(MoneyError):
        _ = Money.of("1", "USD") < Money.of("1", "EUR")
    assert Money.of("1.10", "USD") + Money.of("2.05", "USD") == Money.of("3.15", "USD")
    assert -Money.of("1", "USD") == Money.of("-1", "USD")


def test_seed_commission_rounds_down():
    share = percent_of(Money.of("99.99", "USD"), Decimal("15.00"))
    assert share == Decimal("14.9985")
    assert round_down(share, "USD") == Money.of("14.99", "USD")


def test_tax_rounds_half_up():
    assert round_half_up(Decimal("0.125"), "USD") == Money.of("0.13", "USD")
    assert round_half_up(Decimal("0.124"), "USD") == Money.of("0.12", "USD")
    assert round_half_up(Decimal("-0.125"), "USD") == Money.of("-0.13", "USD")


def test_ratio_is_none_for_zero_whole():
    assert ratio(Money.of("1", "USD"), Money.zero("USD")) is None
    assert ratio(Money.of("75", "USD"), Money.of("100", "USD")) == Decimal("0.7500")
