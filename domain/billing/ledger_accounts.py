"""The reseller's ledger accounts a customer's money moves through (one set per reseller);
their names come from the one chart of accounts."""

from __future__ import annotations

from domain.ledger import accounts


def receivable(reseller: int) -> str:
    return accounts.customer_receivable(reseller)


def revenue(reseller: int) -> str:
    return accounts.services_revenue(reseller)


def tax_payable(reseller: int) -> str:
    return accounts.tax_payable(reseller)


def customer_credit(reseller: int) -> str:
    return accounts.customer_credit(reseller)


def cash(reseller: int) -> str:
    return accounts.reseller_cash(reseller)


def chargebacks_receivable(reseller: int) -> str:
    return accounts.chargebacks_receivable(reseller)
