"""Double entry: postings and journal entries that balance per currency, and the trial balance.

A posting debits or credits one account with a positive amount. A journal entry is two or more
postings whose debits equal their credits in every currency; an unbalanced entry cannot be made.
Debits count positive and credits negative, so the trial balance over all postings is zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.ledger.money import Money, MoneyError


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class UnbalancedEntry(ValueError):
    """Postings whose debits and credits differ in some currency."""


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    side: Side
    money: Money

    def __post_init__(self) -> None:
        if not self.account:
            raise ValueError("a posting needs an account")
        if not isinstance(self.money, Money):
            raise MoneyError("a posting's amount must be Money")
        if not self.money.is_positive:
            raise MoneyError("a posting's amount must be positive; use the other side instead")

    @property
    def signed_amount(self) -> Decimal:
        """Debits positive, credits negative."""
        return self.money.amount if self.side is Side.DEBIT else -self.money.amount


def debit(account: str, money: Money) -> Posting:
    return Posting(account, Side.DEBIT, money)


def credit(account: str, money: Money) -> Posting:
    return Posting(account, Side.CREDIT, money)


def net_by_currency(postings: Iterable[Posting]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for posting in postings:
        currency = posting.money.currency
        totals[currency] = totals.get(currency, Decimal(0)) + posting.signed_amount
    return totals


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """Balanced postings recorded together. Construction checks the balance."""

    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise UnbalancedEntry("a journal entry needs at least two postings")
        unbalanced = {c: n for c, n in net_by_currency(self.postings).items() if n != 0}
        if unbalanced:
            raise UnbalancedEntry(f"entry does not balance: {unbalanced}")


def trial_balance(postings: Iterable[Posting]) -> dict[str, Decimal]:
    """Net of all postings per currency; every value is zero when the books are sound."""
    return net_by_currency(postings)
