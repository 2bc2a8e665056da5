"""Response shapes of billing's routes (money as decimal strings)."""

from __future__ import annotations

from pydantic import BaseModel


class InvoiceOut(BaseModel):
    invoice_id: str
    number: str
    issued_on: str
    currency: str
    net: str
    tax: str
    tax_rate: str
    total: str
    outstanding: str
    paid: str
    credited: str


class BilledInvoiceOut(InvoiceOut):
    """201: the invoice just issued for the period."""

    customer_id: str
    already_billed: bool


class NotBilledOut(BaseModel):
    """200: the period was billed before (its invoice, if any), or there was nothing to bill."""

    customer_id: str
    invoice_id: str | None
    already_billed: bool


class InstallmentOut(BaseModel):
    due_on: str
    amount: str
    status: str


class CustomerAccountOut(BaseModel):
    """The customer's account after a money command."""

    customer_id: str
    currency: str
    outstanding: str
    credit_balance: str
    balance: str
    payment_plans: dict[str, list[InstallmentOut]]
    invoices: list[InvoiceOut]
    version: int


class PaymentOut(CustomerAccountOut):
    payment_id: str
    handling: str
    """normal, review or escalated: what the credit account's state asks for."""
    commissions: list[str]


class FailedPaymentOut(CustomerAccountOut):
    payment_id: str
    attempt: int
    retry_after_days: int | None


class CreditNoteOut(CustomerAccountOut):
    credit_note_id: str
    credited_total: str


class RefundOut(CustomerAccountOut):
    refund_id: str


class ChargebackOut(CustomerAccountOut):
    chargeback_id: str
    payment_id: str


class PaymentPlanOut(CustomerAccountOut):
    plan_id: str


class BillingPeriodOut(BaseModel):
    start: str
    end: str


class BillingCycleOut(BaseModel):
    customer_id: str
    billing_day: int
    current_period: BillingPeriodOut


class PaymentSettingsOut(BaseModel):
    reseller_id: int
    crypto_payments_enabled: bool


class BooksClosedOut(BaseModel):
    reseller_id: int
    books_closed_through: str
