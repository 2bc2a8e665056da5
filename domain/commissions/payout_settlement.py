"""The money of a payout (seed §5.3, §12.1): the one balanced journal entry of a payment, with
VAT (or reverse charge), backup withholding, the offset against the credit account and the
conversion into the payout currency; and the rules that decide them (threshold, reverse
charge, netting). Pure functions over money.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.ledger.accounts import (
    BACKUP_WITHHOLDING,
    CASH,
    FX_CONVERSION,
    VAT_INPUT,
    VAT_OUTPUT,
    commission_payable,
    reseller_receivable,
)
from domain.ledger.errors import DomainError
from domain.ledger.journal import JournalEntry, Posting, credit, debit
from domain.ledger.money import Money, round_half_up
from domain.ledger.tax import tax_on

BACKUP_WITHHOLDING_RATE = Decimal(24)


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a payout moves, all computed once, at payment time."""

    gross: Money
    vat_rate: Decimal
    vat: Money
    reverse_charge: bool
    withheld: Money
    offset: Money
    """Settled against what the reseller owes on its credit account."""
    due_after_offset: Money
    """What is left to pay, in the commission currency."""
    fx_rate: Decimal | None
    paid: Money
    """What leaves the bank, in the payout currency."""
    postings: tuple[Posting, ...]


def settle(
    reseller_number: int,
    gross: Money,
    vat_rate: Decimal,
    reverse_charge: bool,
    backup_withholding: bool,
    owed_on_credit: Money,
    payout_currency: str,
    fx_rate: Decimal | None,
) -> Settlement:
    """The figures and the one balanced journal entry of a payout of `gross` (> 0)."""
    if not gross.is_positive:
        raise DomainError("only a positive total is paid out", field="amount")
    currency = gross.currency
    vat = tax_on(gross, vat_rate)
    withheld = (
        round_half_up(gross.amount * BACKUP_WITHHOLDING_RATE / 100, currency)
        if backup_withholding
        else Money.zero(currency)
    )
    due = gross - withheld if reverse_charge else gross + vat - withheld
    owed = owed_on_credit if owed_on_credit.is_positive else Money.zero(currency)
    offset = owed if owed <= due else due
    left = due - offset
    if payout_currency == currency:
        fx_rate, paid = None, left
    else:
        if fx_rate is None or fx_rate <= 0:
            raise DomainError(f"no rate from {currency} to {payout_currency}", field="fx_rate")
        paid = round_half_up(left.amount * fx_rate, payout_currency)

    lines: list[Posting | None] = [
        debit(commission_payable(reseller_number), gross),
        _maybe(debit, VAT_INPUT, vat),
        _maybe(credit, VAT_OUTPUT, vat) if reverse_charge else None,
        _maybe(credit, BACKUP_WITHHOLDING, withheld),
        _maybe(credit, reseller_receivable(reseller_number), offset),
    ]
    if fx_rate is None:
        lines.append(_maybe(credit, CASH, left))
    else:
        lines += [
            _maybe(credit, FX_CONVERSION, left),
            _maybe(debit, FX_CONVERSION, paid),
            _maybe(credit, CASH, paid),
        ]
    entry = JournalEntry(tuple(p for p in lines if p is not None))
    return Settlement(
        gross, vat_rate, vat, reverse_charge, withheld, offset, left, fx_rate, paid, entry.postings
    )


def _maybe(side: Any, account: str, money: Money) -> Posting | None:
    return side(account, money) if money.is_positive else None


# -- the rules that decide a payment ------------------------------------------------------


def below_threshold(gross: Money, threshold: Money) -> bool:
    """Below the schedule's minimum nothing is paid: the total carries forward."""
    return gross < threshold


def reverse_charge_applies(payee_country: str, payee_vat_id: str | None, isp_country: str) -> bool:
    """Cross-border B2B: the reseller's tax country is not the ISP's and it has a VAT id."""
    return payee_country != isp_country and bool(payee_vat_id)


def vat_country(payee_country: str, reverse_charge: bool, isp_country: str) -> str:
    """Whose standard rate the self-billed invoice carries: the ISP's under reverse charge."""
    return isp_country if reverse_charge else payee_country


def credit_to_net(currency: str, credit_currency: str, credit_balance: Money) -> Money:
    """What a reseller that opted into netting owes on its credit account, to settle out of
    the payout: only a credit account in the commission currency is netted."""
    return credit_balance if credit_currency == currency else Money.zero(currency)
