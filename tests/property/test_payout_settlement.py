"""For any approved records (earnings, clawbacks, adjustments), threshold, VAT rate, reverse
charge, backup withholding, credit owed and FX rate: a payout happens only when the records'
total reaches the threshold, and then its one journal entry balances in every currency, debits
the payable by exactly the records' total, settles at most what is owed, and pays exactly the
rest converted once at the recorded rate."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.commissions.payout_settlement import settle
from domain.ledger.accounts import CASH, COMMISSION_PAYABLE
from domain.ledger.errors import DomainError
from domain.ledger.journal import trial_balance
from domain.ledger.money import Money, round_half_up

CURRENCIES = ["USD", "JPY", "BHD", "NGN"]


@st.composite
def payouts(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    records = draw(
        st.lists(st.integers(-50_000, 500_000), min_size=1, max_size=30).map(
            lambda minors: [Money.from_minor(m, currency) for m in minors]
        )
    )
    payout_currency = draw(st.sampled_from([currency, *CURRENCIES]))
    rate = draw(st.decimals(Decimal("0.0001"), Decimal("5000"), places=6))
    return {
        "currency": currency,
        "records": records,
        "threshold": Money.of(draw(st.integers(50, 1000)), currency),
        "vat_rate": draw(st.sampled_from([Decimal(0), Decimal("7.5"), Decimal(19), Decimal(23)])),
        "reverse_charge": draw(st.booleans()),
        "withholding": draw(st.booleans()),
        "owed": Money.from_minor(draw(st.integers(-10_000, 2_000_000)), currency),
        "payout_currency": payout_currency,
        "rate": None if payout_currency == currency else rate,
    }


@given(payouts())
def test_every_payout_balances_and_pays_exactly_the_rest(p):
    currency = p["currency"]
    total = sum(p["records"], Money.zero(currency))
    if total < p["threshold"]:
        return  # carried forward: nothing is posted
    s = settle(
        7,
        total,
        p["vat_rate"],
        p["reverse_charge"],
        p["withholding"],
        p["owed"],
        p["payout_currency"],
        p["rate"],
    )
    assert all(v == 0 for v in trial_balance(s.postings).values())
    payable = [x for x in s.postings if x.account == f"{COMMISSION_PAYABLE}:7"]
    assert [x.money for x in payable] == [total] and payable[0].side == "debit"
    assert not s.offset.amount < 0 and s.offset <= (
        p["owed"] if p["owed"].is_positive else Money.zero(currency)
    )
    due = total - s.withheld + (Money.zero(currency) if p["reverse_charge"] else s.vat)
    assert s.offset + s.due_after_offset == due
    expected_paid = (
        s.due_after_offset
        if p["rate"] is None
        else round_half_up(s.due_after_offset.amount * p["rate"], p["payout_currency"])
    )
    assert s.paid == expected_paid
    cash = sum((x.money for x in s.postings if x.account == CASH), Money.zero(p["payout_currency"]))
    assert cash == s.paid


@given(st.integers(-1_000_000, 0), st.sampled_from(CURRENCIES))
def test_nothing_that_is_not_positive_is_paid(minor, currency):
    try:
        settle(
            1,
            Money.from_minor(minor, currency),
            Decimal(0),
            False,
            False,
            Money.zero(currency),
            currency,
            None,
        )
    except DomainError as error:
        assert error.field == "amount"
    else:
        raise AssertionError("a non-positive payout was settled")
