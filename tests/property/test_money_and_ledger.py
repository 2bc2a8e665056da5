"""Invariants of money and double entry over generated values and command sequences."""

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.credit.credit_account import CreditAccount
from domain.ledger.errors import DomainError
from domain.ledger.journal import JournalEntry, credit, debit, trial_balance
from domain.ledger.money import MINOR_UNITS, Money, percent_of, round_down

currencies = st.sampled_from(sorted(MINOR_UNITS))
minor_amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(currencies, st.lists(minor_amounts, max_size=50))
def test_adding_money_never_loses_a_minor_unit(currency, minors):
    total = Money.zero(currency)
    for minor in minors:
        total = total + Money.from_minor(minor, currency)
    assert total.minor == sum(minors)
    assert total == Money.from_minor(sum(minors), currency)


@given(currencies, minor_amounts, minor_amounts)
def test_subtraction_inverts_addition(currency, a, b):
    x, y = Money.from_minor(a, currency), Money.from_minor(b, currency)
    assert (x + y) - y == x


@given(currencies, st.integers(1, 10**9), st.decimals(0, 100, places=2))
def test_a_rounded_down_share_never_exceeds_the_exact_share(currency, minor, rate):
    base = Money.from_minor(minor, currency)
    exact = percent_of(base, rate)
    share = round_down(exact, currency)
    assert share.amount <= exact
    assert exact - share.amount < Decimal(1).scaleb(-MINOR_UNITS[currency])


@given(currencies, st.lists(st.integers(1, 10**9), min_size=1, max_size=10))
def test_splitting_a_debit_over_several_credits_balances(currency, parts):
    credits = [credit(f"income:{i}", Money.from_minor(m, currency)) for i, m in enumerate(parts)]
    entry = JournalEntry((debit("assets:cash", Money.from_minor(sum(parts), currency)), *credits))
    assert trial_balance(entry.postings) == {currency: Decimal(0)}


operations = st.lists(
    st.tuples(
        st.integers(0, 3),  # which account
        st.sampled_from(["charge", "payment"]),
        st.integers(-5, 10**8),  # minor units; non-positive ones must be refused
    ),
    max_size=60,
)


@settings(max_examples=200)
@given(operations)
def test_trial_balance_is_zero_over_any_command_sequence(ops):
    accounts = [
        CreditAccount.open(n, n, Money.of("1000", currency))
        for n, currency in enumerate(["USD", "EUR", "JPY", "BHD"])
    ]
    accepted = [Money.zero(a.currency) for a in accounts]
    events = []
    for index, kind, minor in ops:
        account = accounts[index]
        amount = Money.from_minor(minor, account.currency)
        try:
            if kind == "charge":
                account.record_charge(amount, "wholesale", None, date(2026, 1, 1))
                accepted[index] = accepted[index] + amount
            else:
                account.record_payment(amount, "cash", None, date(2026, 1, 1))
                accepted[index] = accepted[index] - amount
        except DomainError:
            assert minor <= 0
        events.extend(account.collect_events())
    postings = [p for e in events for p in getattr(e, "postings", [])]
    for event in events:
        if hasattr(event, "postings"):
            JournalEntry(tuple(event.postings))  # every recorded entry balances
    assert all(total == 0 for total in trial_balance(postings).values())
    for account, expected in zip(accounts, accepted, strict=True):
        assert account.balance == expected
