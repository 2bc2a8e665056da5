"""The reseller's ledger accounts a customer's money moves through (one set per reseller)."""

from __future__ import annotations


def receivable(reseller: int) -> str:
    return f"assets:customer_receivable:{reseller}"


def revenue(reseller: int) -> str:
    return f"income:services:{reseller}"


def tax_payable(reseller: int) -> str:
    return f"liabilities:tax_payable:{reseller}"


def customer_credit(reseller: int) -> str:
    return f"liabilities:customer_credit:{reseller}"


def cash(reseller: int) -> str:
    return f"assets:cash:{reseller}"


def chargebacks_receivable(reseller: int) -> str:
    return f"assets:chargebacks_receivable:{reseller}"
