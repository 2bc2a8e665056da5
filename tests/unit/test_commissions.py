from datetime import date
from decimal import Decimal

import pytest

from domain.commissions.records import Commission, commission_on, pass_through_shares
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.money import Money

JAN = (date(2024, 1, 1), date(2024, 1, 31))


def usd(value):
    return Money.of(value, "USD")


@pytest.mark.parametrize(
    ("base", "rate", "expected"),
    [
        ("99.99", "15.00", "14.99"),  # the seed's example: 14.9985 rounds down
        ("100.00", "15", "15.00"),
        ("0.06", "15", "0.00"),
        ("0.07", "15", "0.01"),
        ("1234.56", "8.00", "98.76"),
        ("1234.56", "0", "0.00"),
        ("1234.56", "100", "1234.56"),
    ],
)
def test_commissions_round_down(base, rate, expected):
    assert commission_on(usd(base), Decimal(rate)) == usd(expected)


def test_rounding_in_other_currencies():
    assert commission_on(Money.of("999", "JPY"), Decimal("15")) == Money.of("149", "JPY")
    assert commission_on(Money.of("9.999", "BHD"), Decimal("15")) == Money.of("1.499", "BHD")


@pytest.mark.parametrize("rate", ["-1", "100.01"])
def test_rates_outside_0_100_are_refused(rate):
    with pytest.raises(DomainError):
        commission_on(usd("10"), Decimal(rate))


def test_seed_record_and_lifecycle():
    record = Commission.calculate(1, None, "recurring", usd("99.99"), Decimal("15.00"), *JAN)
    assert (record.commission_amount, record.status) == (usd("14.99"), "calculated")
    with pytest.raises(InvalidTransition):
        record.mark_paid()
    record.approve()
    record.mark_paid()
    assert record.status == "paid"
    with pytest.raises(InvalidTransition):
        record.void("too late")


def test_a_dispute_is_settled_by_exactly_one_adjustment_record():
    record = Commission.calculate(1, None, "recurring", usd("99.99"), Decimal("15"), *JAN)
    record.approve()
    record.dispute("the base should be 89.99")
    adjustment = record.settle_dispute(usd("89.99"), "agreed")
    assert record.status == "adjusted"
    assert adjustment.adjusts == record.id
    assert record.commission_amount + adjustment.commission_amount == commission_on(
        usd("89.99"), Decimal("15")
    )
    assert adjustment.commission_amount == usd("-1.50")
    with pytest.raises(InvalidTransition):
        record.settle_dispute(usd("79.99"), "again")


def test_pass_through_the_seed_way():
    # Child at 8%, parent at 12%, top-level at 15% on a 99.99 payment.
    shares = pass_through_shares(
        [(3, Decimal(8)), (2, Decimal(12)), (1, Decimal(15))], usd("99.99")
    )
    assert shares == [(3, usd("7.99")), (2, usd("4.00")), (1, usd("3.00"))]
    assert sum((s for _, s in shares), usd("0")) == commission_on(usd("99.99"), Decimal(15))


def test_a_child_may_not_earn_more_than_its_parent():
    with pytest.raises(DomainError):
        pass_through_shares([(2, Decimal(12)), (1, Decimal(10))], usd("10"))
