"""The reseller's credit account with the ISP.

Wholesale charges raise what the reseller owes; payments lower it. Every movement is a balanced
journal entry recorded in the event that makes it: a charge debits the reseller's receivable and
credits wholesale revenue; a payment debits cash and credits the receivable. The balance is the
receivable's net and is derived from events alone; utilization is balance / credit limit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.ids import derived_id
from domain.journal import (
    CASH,
    RESELLER_RECEIVABLE,
    WHOLESALE_REVENUE,
    JournalEntry,
    Posting,
    credit,
    debit,
    reseller_account,
)
from domain.money import Money, ratio

PAYMENT_METHODS = ("bank_transfer", "card", "cash", "wallet", "crypto", "offset")
MAX_TEXT = 500


def credit_account_id(reseller_number: int) -> UUID:
    return derived_id("credit-account", reseller_number)


class CreditAccount(Aggregate):
    class Opened(Aggregate.Created):
        reseller_number: int
        tenant_number: int
        credit_limit: Money

    @event(Opened)
    def __init__(self, reseller_number: int, tenant_number: int, credit_limit: Money) -> None:
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.credit_limit = credit_limit
        self.balance = Money.zero(credit_limit.currency)
        self.charged_total = Money.zero(credit_limit.currency)
        self.paid_total = Money.zero(credit_limit.currency)

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return credit_account_id(reseller_number)

    @classmethod
    def open(cls, reseller_number: int, tenant_number: int, credit_limit: Money) -> CreditAccount:
        if credit_limit.amount < 0:
            raise DomainError("credit_limit cannot be negative", field="credit_limit")
        return cls(
            reseller_number=reseller_number, tenant_number=tenant_number, credit_limit=credit_limit
        )

    @property
    def currency(self) -> str:
        return self.credit_limit.currency

    @property
    def receivable_account(self) -> str:
        return reseller_account(RESELLER_RECEIVABLE, self.reseller_number)

    @property
    def utilization(self) -> Decimal | None:
        return ratio(self.balance, self.credit_limit)

    @property
    def available(self) -> Money:
        return self.credit_limit - self.balance

    def _check_amount(self, amount: Money) -> None:
        if amount.currency != self.currency:
            raise DomainError(f"the account is kept in {self.currency}", field="currency")
        if not amount.is_positive:
            raise DomainError("amount must be positive", field="amount")

    class ChargeRecorded(Aggregate.Event):
        amount: Money
        description: str
        reference: str | None
        effective_date: date
        postings: list[Posting]

    @event(ChargeRecorded)
    def _record_charge(
        self,
        amount: Money,
        description: str,
        reference: str | None,
        effective_date: date,
        postings: list[Posting],
    ) -> None:
        self.balance = self.balance + amount
        self.charged_total = self.charged_total + amount

    def record_charge(
        self, amount: Money, description: str, reference: str | None, effective_date: date
    ) -> None:
        self._check_amount(amount)
        description = description.strip()
        if not description or len(description) > MAX_TEXT:
            raise DomainError(f"description must be 1-{MAX_TEXT} characters", field="description")
        entry = JournalEntry(
            (debit(self.receivable_account, amount), credit(WHOLESALE_REVENUE, amount))
        )
        self._record_charge(amount, description, reference, effective_date, list(entry.postings))

    class PaymentRecorded(Aggregate.Event):
        amount: Money
        method: str
        reference: str | None
        effective_date: date
        postings: list[Posting]

    @event(PaymentRecorded)
    def _record_payment(
        self,
        amount: Money,
        method: str,
        reference: str | None,
        effective_date: date,
        postings: list[Posting],
    ) -> None:
        self.balance = self.balance - amount
        self.paid_total = self.paid_total + amount

    def record_payment(
        self, amount: Money, method: str, reference: str | None, effective_date: date
    ) -> None:
        self._check_amount(amount)
        if method not in PAYMENT_METHODS:
            raise DomainError(f"method must be one of {', '.join(PAYMENT_METHODS)}", field="method")
        entry = JournalEntry((debit(CASH, amount), credit(self.receivable_account, amount)))
        self._record_payment(amount, method, reference, effective_date, list(entry.postings))
