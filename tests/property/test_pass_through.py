"""For any hierarchy depth and rates, pass-through shares sum to exactly the top-level
commission and no share is negative."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.commissions.records import commission_on, pass_through_shares
from domain.ledger.money import Money

rates = st.lists(st.decimals(0, 100, places=2), min_size=1, max_size=8).map(sorted)


@given(rates, st.integers(0, 10**9), st.sampled_from(["USD", "JPY", "BHD"]))
def test_shares_add_up_to_the_top_level_commission(chain_rates, minor, currency):
    base = Money.from_minor(minor, currency)
    chain = [(level, rate) for level, rate in enumerate(chain_rates)]
    shares = pass_through_shares(chain, base)
    total = Money.zero(currency)
    for _, share in shares:
        assert not share.amount < 0
        total = total + share
    assert total == commission_on(base, chain_rates[-1])
    assert total.amount <= base.amount * chain_rates[-1] / Decimal(100)
