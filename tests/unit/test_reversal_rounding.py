"""The one rounding rule for reversals: a clawback is the mirror image of the commission the
reversed amount earns (its magnitude rounds down), so it never claws back more than was paid."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.commissions.records import commission_on, pass_through_shares
from domain.ledger.money import Money

cents = st.integers(min_value=1, max_value=10_000_000)
rates = st.decimals(min_value=0, max_value=100, places=2)


def usd(minor: int) -> Money:
    return Money.from_minor(minor, "USD")


def test_the_credit_note_of_the_issue_claws_back_3_22():
    # 15% of 21.50 is 3.225: paid 3.22 on the payment, so the reversal claws back 3.22.
    assert commission_on(usd(2150), Decimal(15)) == usd(322)
    assert commission_on(-usd(2150), Decimal(15)) == -usd(322)


@given(cents, rates)
def test_a_reversal_is_the_negative_of_the_commission(base, rate):
    assert commission_on(-usd(base), rate) == -commission_on(usd(base), rate)


@given(st.lists(cents, min_size=1, max_size=6), rates)
def test_partial_reversals_never_claw_back_more_than_was_paid(parts, rate):
    paid = commission_on(usd(sum(parts)), rate)
    clawed = sum((commission_on(-usd(p), rate) for p in parts), Money.zero("USD"))
    assert -clawed <= paid
    assert (paid + clawed).amount >= 0


@given(cents, st.lists(rates, min_size=1, max_size=4))
def test_reversing_a_whole_payment_cancels_every_share_of_the_chain(base, chain_rates):
    chain = list(enumerate(sorted(chain_rates)))
    paid = pass_through_shares(chain, usd(base))
    reversed_ = pass_through_shares(chain, -usd(base))
    assert [(n, -share) for n, share in reversed_] == paid
