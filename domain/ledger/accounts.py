"""The chart of accounts: every ledger account name is built here, and only here.

Names are stored in events (each posting names its account), so they never change: a test
pins every one. An account is `class:name`; a per-reseller account appends the reseller's
number (`assets:customer_receivable:7`). Account classes: assets, liabilities, equity,
income, expenses.
"""

from __future__ import annotations

# -- the ISP's own accounts -----------------------------------------------------------------
CASH = "assets:cash"
VAT_INPUT = "assets:vat_input"
VAT_OUTPUT = "liabilities:vat_output"
BACKUP_WITHHOLDING = "liabilities:backup_withholding"
FX_CONVERSION = "equity:fx_conversion"
"""A currency trading account: keeps a payout converted at payment time balanced per currency."""
WHOLESALE_REVENUE = "income:wholesale"
COMMISSION_EXPENSE = "expenses:commissions"
DISPUTE_INTEREST_EXPENSE = "expenses:commission_dispute_interest"

# -- per-reseller accounts: the base, then the reseller's number -----------------------------
RESELLER_RECEIVABLE = "assets:reseller_receivable"
"""What a reseller owes the ISP on its credit account."""
COMMISSION_PAYABLE = "liabilities:commission_payable"
"""What the ISP owes a reseller in commissions."""
CUSTOMER_RECEIVABLE = "assets:customer_receivable"
"""What a reseller's customers owe it."""
SERVICES_REVENUE = "income:services"
TAX_PAYABLE = "liabilities:tax_payable"
CUSTOMER_CREDIT = "liabilities:customer_credit"
RESELLER_CASH = CASH
"""A reseller's cash from its customers: `assets:cash:<number>`, beside the ISP's own."""
CHARGEBACKS_RECEIVABLE = "assets:chargebacks_receivable"


def reseller_account(base: str, reseller_number: int) -> str:
    """A per-reseller account: the base name, then the reseller's number."""
    return f"{base}:{reseller_number}"


def reseller_receivable(reseller_number: int) -> str:
    return reseller_account(RESELLER_RECEIVABLE, reseller_number)


def commission_payable(reseller_number: int) -> str:
    return reseller_account(COMMISSION_PAYABLE, reseller_number)


def customer_receivable(reseller_number: int) -> str:
    return reseller_account(CUSTOMER_RECEIVABLE, reseller_number)


def services_revenue(reseller_number: int) -> str:
    return reseller_account(SERVICES_REVENUE, reseller_number)


def tax_payable(reseller_number: int) -> str:
    return reseller_account(TAX_PAYABLE, reseller_number)


def customer_credit(reseller_number: int) -> str:
    return reseller_account(CUSTOMER_CREDIT, reseller_number)


def reseller_cash(reseller_number: int) -> str:
    return reseller_account(RESELLER_CASH, reseller_number)


def chargebacks_receivable(reseller_number: int) -> str:
    return reseller_account(CHARGEBACKS_RECEIVABLE, reseller_number)


ISP_ACCOUNTS = (
    CASH,
    VAT_INPUT,
    VAT_OUTPUT,
    BACKUP_WITHHOLDING,
    FX_CONVERSION,
    WHOLESALE_REVENUE,
    COMMISSION_EXPENSE,
    DISPUTE_INTEREST_EXPENSE,
)
PER_RESELLER_ACCOUNTS = (
    RESELLER_RECEIVABLE,
    COMMISSION_PAYABLE,
    CUSTOMER_RECEIVABLE,
    SERVICES_REVENUE,
    TAX_PAYABLE,
    CUSTOMER_CREDIT,
    RESELLER_CASH,
    CHARGEBACKS_RECEIVABLE,
)
"""The bases of the per-reseller accounts."""
