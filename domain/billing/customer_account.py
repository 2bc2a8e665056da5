"""A customer's account with their reseller: invoices, payments, credit notes, refunds.

Every event that moves money carries its balanced postings (per reseller accounts):
- invoice: Dr customer receivable (total); Cr service revenue (net), Cr tax payable (tax);
  customer credit on hand is applied to it at once: Dr customer credit, Cr receivable.
- payment: Dr cash; Cr receivable for what it settles (oldest open invoice first), Cr customer
  credit for the rest (an overpayment becomes credit).
- credit note (a net amount, taxed at the invoice's rate): Dr revenue, Dr tax payable;
  Cr receivable up to what the invoice still owes, Cr customer credit for the rest.
- refund: from customer credit only: Dr customer credit, Cr cash.
- chargeback (the payer's bank takes a payment back): Dr chargebacks receivable, Cr cash; the
  amount is to be recovered from the customer, and never exceeds the payment.
No invoice is ever paid or credited beyond its total; corrections are new events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.billing.allocation import allocate_oldest_first
from domain.billing.ledger_accounts import (
    cash,
    chargebacks_receivable,
    customer_credit,
    receivable,
    revenue,
    tax_payable,
)
from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.journal import JournalEntry, Posting, credit, debit
from domain.ledger.money import Money
from domain.ledger.tax import tax_on

PAYMENT_METHODS = ("card", "bank_transfer", "cash", "wallet", "crypto")
MAX_LINES = 200


def customer_account_id(customer_id: UUID) -> UUID:
    return derived_id("customer-account", customer_id)


class CustomerAccount(Aggregate):
    class Opened(Aggregate.Created):
        customer_id: UUID
        reseller_number: int
        tenant_number: int
        currency: str

    @event(Opened)
    def __init__(
        self, customer_id: UUID, reseller_number: int, tenant_number: int, currency: str
    ) -> None:
        self.customer_id = customer_id
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.currency = currency
        self.invoices: dict[str, dict[str, Any]] = {}
        self.credit_balance = Money.zero(currency)
        self.payments: dict[str, Money] = {}
        self.failed_payments: dict[str, int] = {}
        self.plans: dict[str, dict[str, Any]] = {}

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return customer_account_id(customer_id)

    # -- derived state ----------------------------------------------------------------------

    @property
    def open_items(self) -> list[dict[str, Any]]:
        return [i for i in self.invoices.values() if i["outstanding"].is_positive]

    @property
    def outstanding(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.invoices.values():
            total = total + item["outstanding"]
        return total

    @property
    def balance(self) -> Money:
        """What the customer owes, net of credit on hand (negative: the reseller owes them)."""
        return self.outstanding - self.credit_balance

    def _entry(self, *legs: tuple[Callable[[str, Money], Posting], str, Money]) -> list[Posting]:
        """A balanced entry from (debit|credit, account, amount) legs; zero legs are dropped."""
        return list(
            JournalEntry(tuple(side(a, m) for side, a, m in legs if m.is_positive)).postings
        )

    def _money(self, amount: Money, field: str = "amount") -> None:
        if amount.currency != self.currency:
            raise DomainError(f"the account is kept in {self.currency}", field="currency")
        if not amount.is_positive:
            raise DomainError(f"{field} must be positive", field=field)

    def _apply_allocations(self, allocations: list[dict[str, Any]]) -> None:
        invoices = {k: dict(v) for k, v in self.invoices.items()}
        for allocation in allocations:
            item = invoices[allocation["invoice_id"]]
            item["outstanding"] = item["outstanding"] - allocation["amount"]
            item["paid"] = item["paid"] + allocation["amount"]
        self.invoices = invoices

    # -- invoices ---------------------------------------------------------------------------

    class InvoiceIssued(Aggregate.Event):
        invoice_id: str
        number: str
        issued_on: date
        period_start: date | None
        period_end: date | None
        lines: list[dict[str, Any]]
        tax_rate: Decimal
        net: Money
        tax: Money
        total: Money
        credit_applied: Money
        postings: list[Posting]

    @event(InvoiceIssued)
    def _issue_invoice(
        self,
        invoice_id: str,
        number: str,
        issued_on: date,
        period_start: date | None,
        period_end: date | None,
        lines: list[dict[str, Any]],
        tax_rate: Decimal,
        net: Money,
        tax: Money,
        total: Money,
        credit_applied: Money,
        postings: list[Posting],
    ) -> None:
        self.invoices = {
            **self.invoices,
            invoice_id: {
                "invoice_id": invoice_id,
                "number": number,
                "issued_on": issued_on,
                "total": total,
                "net": net,
                "tax": tax,
                "tax_rate": tax_rate,
                "outstanding": total - credit_applied,
                "paid": credit_applied,
                "credited": Money.zero(self.currency),
            },
        }
        self.credit_balance = self.credit_balance - credit_applied

    def issue_invoice(
        self,
        invoice_id: str,
        number: str,
        issued_on: date,
        lines: list[dict[str, Any]],
        tax_rate: Decimal,
        period_start: date | None = None,
        period_end: date | None = None,
    ) -> None:
        if not lines or len(lines) > MAX_LINES:
            raise DomainError(f"an invoice has 1-{MAX_LINES} lines", field="lines")
        if invoice_id in self.invoices:
            raise DomainError("this invoice was already issued", field="invoice_id")
        net = tax = Money.zero(self.currency)
        for line in lines:
            if line["net"].currency != self.currency:
                raise DomainError(f"the account is kept in {self.currency}", field="currency")
            net, tax = net + line["net"], tax + line["tax"]
        total = net + tax
        if not total.is_positive:
            raise DomainError("an invoice total must be positive", field="lines")
        applied = self.credit_balance if self.credit_balance <= total else total
        r = self.reseller_number
        postings = self._entry(
            (debit, receivable(r), total),
            (credit, revenue(r), net),
            (credit, tax_payable(r), tax),
            (debit, customer_credit(r), applied),
            (credit, receivable(r), applied),
        )
        self._issue_invoice(
            invoice_id,
            number,
            issued_on,
            period_start,
            period_end,
            lines,
            tax_rate,
            net,
            tax,
            total,
            applied,
            postings,
        )

    # -- payments ---------------------------------------------------------------------------

    class PaymentReceived(Aggregate.Event):
        payment_id: str
        amount: Money
        method: str
        reference: str | None
        effective_date: date
        allocations: list[dict[str, Any]]
        to_credit: Money
        handling: str
        postings: list[Posting]

    @event(PaymentReceived)
    def _receive_payment(
        self,
        payment_id: str,
        amount: Money,
        method: str,
        reference: str | None,
        effective_date: date,
        allocations: list[dict[str, Any]],
        to_credit: Money,
        handling: str,
        postings: list[Posting],
    ) -> None:
        self._apply_allocations(allocations)
        self.credit_balance = self.credit_balance + to_credit
        self.payments = {**self.payments, payment_id: amount}

    def receive_payment(
        self,
        payment_id: str,
        amount: Money,
        method: str,
        reference: str | None,
        effective_date: date,
        handling: str = "normal",
    ) -> None:
        """`handling`: 'normal', or 'review'/'escalated' when the reseller's credit policy at
        its limit says so (the payment is recorded either way)."""
        self._money(amount)
        if method not in PAYMENT_METHODS:
            raise DomainError(f"method must be one of {', '.join(PAYMENT_METHODS)}", field="method")
        if payment_id in self.payments:
            raise DomainError("this payment was already recorded", field="payment_id")
        allocations, left = allocate_oldest_first(amount, self.open_items)
        r = self.reseller_number
        settled = amount - left
        postings = self._entry(
            (debit, cash(r), amount),
            (credit, receivable(r), settled),
            (credit, customer_credit(r), left),
        )
        self._receive_payment(
            payment_id,
            amount,
            method,
            reference,
            effective_date,
            allocations,
            left,
            handling,
            postings,
        )

    class PaymentFailed(Aggregate.Event):
        payment_id: str
        amount: Money
        method: str
        reason: str
        attempt: int

    @event(PaymentFailed)
    def _payment_failed(
        self, payment_id: str, amount: Money, method: str, reason: str, attempt: int
    ) -> None:
        self.failed_payments = {**self.failed_payments, payment_id: attempt}

    def payment_failed(self, payment_id: str, amount: Money, method: str, reason: str) -> int:
        """Record a declined attempt (no money moved); returns the attempt number."""
        self._money(amount)
        if payment_id in self.payments:
            raise DomainError("this payment already succeeded", field="payment_id")
        attempt = self.failed_payments.get(payment_id, 0) + 1
        self._payment_failed(payment_id, amount, method, reason[:300], attempt)
        return attempt

    # -- credit notes and refunds -----------------------------------------------------------

    class CreditNoteIssued(Aggregate.Event):
        credit_note_id: str
        invoice_id: str
        reason: str
        effective_date: date
        net: Money
        tax: Money
        total: Money
        allocations: list[dict[str, Any]]
        to_credit: Money
        postings: list[Posting]

    @event(CreditNoteIssued)
    def _issue_credit_note(
        self,
        credit_note_id: str,
        invoice_id: str,
        reason: str,
        effective_date: date,
        net: Money,
        tax: Money,
        total: Money,
        allocations: list[dict[str, Any]],
        to_credit: Money,
        postings: list[Posting],
    ) -> None:
        invoices = {k: dict(v) for k, v in self.invoices.items()}
        invoice = invoices[invoice_id]
        invoice["credited"] = invoice["credited"] + total
        for allocation in allocations:
            invoice["outstanding"] = invoice["outstanding"] - allocation["amount"]
        self.invoices = invoices
        self.credit_balance = self.credit_balance + to_credit

    def issue_credit_note(
        self, credit_note_id: str, invoice_id: str, net: Money, reason: str, effective_date: date
    ) -> Money:
        """Credit part of an invoice (a net amount, taxed at the invoice's rate); returns the
        gross credited. The credits of an invoice never exceed its total."""
        self._money(net, "net")
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise DomainError("no such invoice on this account", field="invoice_id")
        tax = tax_on(net, invoice["tax_rate"])
        total = net + tax
        if invoice["credited"] + total > invoice["total"]:
            raise DomainError("credit notes would exceed the invoice total", field="net")
        applied = invoice["outstanding"] if invoice["outstanding"] <= total else total
        allocations = [{"invoice_id": invoice_id, "amount": applied}] if applied.is_positive else []
        to_credit = total - applied
        r = self.reseller_number
        postings = self._entry(
            (debit, revenue(r), net),
            (debit, tax_payable(r), tax),
            (credit, receivable(r), applied),
            (credit, customer_credit(r), to_credit),
        )
        self._issue_credit_note(
            credit_note_id,
            invoice_id,
            reason[:300],
            effective_date,
            net,
            tax,
            total,
            allocations,
            to_credit,
            postings,
        )
        return total

    class RefundIssued(Aggregate.Event):
        refund_id: str
        amount: Money
        method: str
        effective_date: date
        postings: list[Posting]

    @event(RefundIssued)
    def _refund(
        self,
        refund_id: str,
        amount: Money,
        method: str,
        effective_date: date,
        postings: list[Posting],
    ) -> None:
        self.credit_balance = self.credit_balance - amount

    def refund(self, refund_id: str, amount: Money, method: str, effective_date: date) -> None:
        """Pay customer credit back out; never more than the credit on hand."""
        self._money(amount)
        if amount > self.credit_balance:
            raise DomainError(
                f"only {self.credit_balance} of customer credit can be refunded", field="amount"
            )
        r = self.reseller_number
        postings = self._entry((debit, customer_credit(r), amount), (credit, cash(r), amount))
        self._refund(refund_id, amount, method, effective_date, postings)

    class ChargedBack(Aggregate.Event):
        chargeback_id: str
        payment_id: str
        amount: Money
        reason: str
        effective_date: date
        postings: list[Posting]

    @event(ChargedBack)
    def _charged_back(
        self,
        chargeback_id: str,
        payment_id: str,
        amount: Money,
        reason: str,
        effective_date: date,
        postings: list[Posting],
    ) -> None:
        # Accounts snapshotted before chargebacks existed have no such attribute yet.
        taken = getattr(self, "chargebacks", {})
        self.chargebacks = {
            **taken,
            payment_id: taken.get(payment_id, Money.zero(self.currency)) + amount,
        }

    def charge_back(
        self, chargeback_id: str, payment_id: str, amount: Money, reason: str, effective_date: date
    ) -> None:
        """The payer's bank took (part of) a payment back; never more than the payment."""
        self._money(amount)
        paid = self.payments.get(payment_id)
        if paid is None:
            raise DomainError("no such payment on this account", field="payment_id")
        taken = getattr(self, "chargebacks", {}).get(payment_id, Money.zero(self.currency))
        if taken + amount > paid:
            raise DomainError(
                f"only {paid - taken} of this payment can be charged back", field="amount"
            )
        r = self.reseller_number
        postings = self._entry(
            (debit, chargebacks_receivable(r), amount), (credit, cash(r), amount)
        )
        self._charged_back(
            chargeback_id, payment_id, amount, reason[:300], effective_date, postings
        )

    # -- payment plans ----------------------------------------------------------------------

    class PaymentPlanAgreed(Aggregate.Event):
        plan_id: str
        invoice_ids: list[str]
        installments: list[dict[str, Any]]

    @event(PaymentPlanAgreed)
    def _agree_plan(
        self, plan_id: str, invoice_ids: list[str], installments: list[dict[str, Any]]
    ) -> None:
        self.plans = {
            **self.plans,
            plan_id: {"invoice_ids": invoice_ids, "installments": installments},
        }

    def agree_payment_plan(
        self,
        plan_id: str,
        invoice_ids: list[str],
        count: int,
        first_due_on: date,
        interval_days: int,
    ) -> list[dict[str, Any]]:
        """Spread what the invoices still owe over `count` installments (equal, in whole minor
        units, the remainder in the last). Payments keep settling the oldest invoice first; the
        plan is the schedule they are measured against."""
        if not 2 <= count <= 24:
            raise DomainError("a plan has 2-24 installments", field="installments")
        if not 7 <= interval_days <= 92:
            raise DomainError("installments are 7-92 days apart", field="interval_days")
        owed = Money.zero(self.currency)
        for invoice_id in invoice_ids:
            invoice = self.invoices.get(invoice_id)
            if invoice is None or not invoice["outstanding"].is_positive:
                raise DomainError(
                    f"invoice {invoice_id} is not open on this account", field="invoice_ids"
                )
            if any(invoice_id in p["invoice_ids"] for p in self.plans.values()):
                raise DomainError(f"invoice {invoice_id} is already on a plan", field="invoice_ids")
            owed = owed + invoice["outstanding"]
        share = Money.from_minor(owed.minor // count, self.currency)
        installments = []
        for n in range(count):
            amount = (
                share if n < count - 1 else owed - Money(share.amount * (count - 1), self.currency)
            )
            installments.append(
                {"due_on": first_due_on + timedelta(days=interval_days * n), "amount": amount}
            )
        self._agree_plan(plan_id, sorted(set(invoice_ids)), installments)
        return installments

    def plan_status(self, plan_id: str, today: date) -> list[dict[str, Any]]:
        """Each installment as paid, due or overdue, by what the plan's invoices have received."""
        plan = self.plans[plan_id]
        received = Money.zero(self.currency)
        owed_at_start = Money.zero(self.currency)
        for installment in plan["installments"]:
            owed_at_start = owed_at_start + installment["amount"]
        still_owed = Money.zero(self.currency)
        for invoice_id in plan["invoice_ids"]:
            still_owed = still_owed + self.invoices[invoice_id]["outstanding"]
        received = owed_at_start - still_owed
        statuses, covered = [], Money.zero(self.currency)
        for installment in plan["installments"]:
            covered = covered + installment["amount"]
            state = (
                "paid"
                if covered <= received
                else ("overdue" if installment["due_on"] < today else "due")
            )
            statuses.append(
                {"due_on": installment["due_on"], "amount": installment["amount"], "status": state}
            )
        return statuses


class BillingRecord(Aggregate):
    """Proof that a customer was billed for a period (and with which invoice, if any)."""

    class Created(Aggregate.Created):
        customer_id: UUID
        period_start: date
        period_end: date
        invoice_id: str | None

    @event(Created)
    def __init__(
        self, customer_id: UUID, period_start: date, period_end: date, invoice_id: str | None
    ) -> None:
        self.customer_id = customer_id
        self.period_start = period_start
        self.period_end = period_end
        self.invoice_id = invoice_id

    @staticmethod
    def create_id(customer_id: UUID, period_start: date, period_end: date) -> UUID:
        return derived_id("billing", customer_id, period_start, period_end)
