"""Billing rules as pure domain functions, with no database: proration, billing periods and
invoice numbers, the failed-payment retry schedule, and the checks on a payment."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing.billing_periods import MAX_PERIOD_DAYS, billing_period_days, invoice_number
from domain.billing.dunning import RETRY_AFTER_DAYS, retry_after_days
from domain.billing.invoice_lines import price_line
from domain.billing.payment_rules import (
    CARD_NUMBER_DIGITS,
    check_method_enabled,
    check_plan_start,
    check_reference,
    payment_handling,
)
from domain.billing.proration import days_in_period, line_description, prorated, prorated_share
from domain.ledger.errors import DomainError
from domain.ledger.money import Money

cents = st.integers(min_value=0, max_value=100_000_000)
period_lengths = st.integers(min_value=1, max_value=MAX_PERIOD_DAYS)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


def usd(minor: int) -> Money:
    return Money.from_minor(minor, "USD")


# -- proration ------------------------------------------------------------------------------


def test_a_period_counts_both_its_first_and_last_day():
    assert days_in_period(date(2026, 3, 1), date(2026, 3, 31)) == 31
    assert days_in_period(date(2026, 3, 1), date(2026, 3, 1)) == 1


@given(period_lengths, cents)
def test_prorating_a_whole_period_charges_the_price(period, price):
    share = prorated_share(period, period)
    assert share == 1
    assert prorated(usd(price), share) == usd(price)
    assert price_line("Fibre", share, usd(price), Decimal(0), None)["net"] == usd(price)


@given(st.lists(st.integers(min_value=1, max_value=31), min_size=1, max_size=6), cents)
def test_prorated_parts_sum_to_the_whole_within_their_rounding(parts, price):
    # Each part rounds half-up once, so k parts differ from the whole by at most k half-cents.
    period = sum(parts)
    shares = [prorated_share(part, period) for part in parts]
    charged = sum((prorated(usd(price), share) for share in shares), usd(0))
    assert abs(charged.amount - usd(price).amount) <= Decimal(len(parts)) * Decimal("0.005")
    assert abs(sum(shares) - 1) < Decimal("1e-25")


@given(period_lengths, st.data(), cents)
def test_more_billable_days_never_cost_less(period, data, price):
    fewer = data.draw(st.integers(min_value=0, max_value=period))
    more = data.draw(st.integers(min_value=fewer, max_value=period))
    cheaper = prorated(usd(price), prorated_share(fewer, period))
    dearer = prorated(usd(price), prorated_share(more, period))
    assert cheaper <= dearer <= usd(price)


def test_a_part_period_rounds_half_up_once():
    # 10.00 for 15 of 31 days is 4.8387...: 4.84.
    assert prorated(usd(1000), prorated_share(15, 31)) == usd(484)


def test_a_line_names_the_days_only_when_part_of_the_period_is_billed():
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    assert line_description("Fibre", start, end, 31, 31) == "Fibre 2026-03-01..2026-03-31"
    assert (
        line_description("Fibre", start, end, 10, 31) == "Fibre 2026-03-01..2026-03-31 (10/31 days)"
    )


# -- billing periods and invoice numbers ------------------------------------------------------


@given(days, st.integers(min_value=-400, max_value=400))
def test_a_billing_period_is_one_to_92_days(start, offset):
    end = start + timedelta(days=offset)
    length = offset + 1
    if 1 <= length <= MAX_PERIOD_DAYS:
        assert billing_period_days(start, end) == length
    else:
        with pytest.raises(DomainError) as refused:
            billing_period_days(start, end)
        assert refused.value.field == "period_end"
        assert str(refused.value) == "a billing period is 1-92 days"


def test_invoice_numbers_are_the_code_and_a_six_digit_sequence():
    assert invoice_number("ACME", 7) == "ACME-000007"
    assert invoice_number("ACME", 1_234_567) == "ACME-1234567"


# -- failed payments: the retry schedule ------------------------------------------------------


def test_a_failed_payment_is_retried_after_1_3_and_7_days_then_not_again():
    assert [retry_after_days(attempt) for attempt in (1, 2, 3, 4, 5)] == [1, 3, 7, None, None]


@given(st.integers(min_value=1, max_value=1_000))
def test_retries_wait_longer_each_time_and_stop_after_the_schedule(attempt):
    wait = retry_after_days(attempt)
    if attempt > len(RETRY_AFTER_DAYS):
        assert wait is None
    else:
        assert wait == RETRY_AFTER_DAYS[attempt - 1]
        later = retry_after_days(attempt + 1)
        assert later is None or later > wait


# -- checks on a payment ----------------------------------------------------------------------


@pytest.mark.parametrize("reference", [None, "", "tok_abc123", "INV-2026-000123", "1" * 12])
def test_references_without_a_card_number_pass(reference):
    check_reference(reference)


@pytest.mark.parametrize("reference", ["4111111111111111", "4111 1111 1111 1111", "1" * 13])
def test_references_that_may_hold_a_card_number_are_refused(reference):
    with pytest.raises(DomainError) as refused:
        check_reference(reference)
    assert refused.value.field == "reference"
    assert CARD_NUMBER_DIGITS == 13


def test_crypto_payments_only_where_enabled():
    check_method_enabled("crypto", crypto_payments_enabled=True)
    for method in ("card", "bank_transfer", "cash", "wallet"):
        check_method_enabled(method, crypto_payments_enabled=False)
    with pytest.raises(DomainError) as refused:
        check_method_enabled("crypto", crypto_payments_enabled=False)
    assert refused.value.field == "method"


def test_the_credit_action_routes_the_payment():
    assert payment_handling("continue") == "normal"
    assert payment_handling("review") == "review"
    assert payment_handling("escalate") == "escalated"
    with pytest.raises(KeyError):
        payment_handling("suspend")


@given(days, st.integers(min_value=-30, max_value=30))
def test_a_payment_plan_cannot_start_in_the_past(today, offset):
    first_due_on = today + timedelta(days=offset)
    if offset >= 0:
        check_plan_start(first_due_on, today)
    else:
        with pytest.raises(DomainError) as refused:
            check_plan_start(first_due_on, today)
        assert refused.value.field == "first_due_on"
