from decimal import Decimal

import pytest

from domain.ledger.journal import (
    JournalEntry,
    Posting,
    Side,
    UnbalancedEntry,
    credit,
    debit,
    trial_balance,
)
from domain.ledger.money import Money, MoneyError

USD = lambda a: Money.of(a, "USD")  # noqa: E731


def test_a_balanced_entry_is_accepted():
    entry = JournalEntry((debit("assets:cash", USD("10")), credit("income:x", USD("10"))))
    assert trial_balance(entry.postings) == {"USD": Decimal("0.00")}


def test_unbalanced_entries_cannot_be_made():
    with pytest.raises(UnbalancedEntry):
        JournalEntry((debit("a", USD("10")), credit("b", USD("9.99"))))
    with pytest.raises(UnbalancedEntry, match="two postings"):
        JournalEntry((debit("a", USD("10")),))


def test_balance_is_checked_per_currency():
    with pytest.raises(UnbalancedEntry):
        JournalEntry((debit("a", USD("10")), credit("b", Money.of("10", "EUR"))))


def test_postings_must_be_positive():
    with pytest.raises(MoneyError):
        Posting("a", Side.DEBIT, USD("0"))
    with pytest.raises(MoneyError):
        Posting("a", Side.CREDIT, USD("-1"))
