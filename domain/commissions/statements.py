"""Tax statements over commission payouts: 1099-NEC for US resellers and VAT for the others.

Both are pure functions of paid payouts, so the same code answers "as known at" an instant
(fed the payouts recorded up to it) and "effective at" a business date (fed everything known
now about payments up to that date).

1099-NEC is cash basis: nonemployee compensation for a tax year is what was paid in that year
(by payment date), net of commissions the reseller repaid in that year. A form is due when that
reaches the year's reporting threshold, or whenever backup withholding was withheld.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.ledger.errors import DomainError
from domain.ledger.money import Money, round_half_up

# First tax year a threshold applies from -> the threshold (USD). $600 for payments through
# 2025; $2,000 from 2026 on (the One Big Beautiful Bill Act raised it for payments after 2025).
NEC_THRESHOLDS: tuple[tuple[int, Decimal], ...] = (
    (1900, Decimal("600")),
    (2026, Decimal("2000")),
)
FIRST_TAX_YEAR = 2000
NEC_CURRENCY = "USD"


def nec_reporting_threshold(tax_year: int) -> Money:
    if tax_year < FIRST_TAX_YEAR:
        raise DomainError(f"tax years start at {FIRST_TAX_YEAR}", field="tax_year")
    threshold = max((t for t in NEC_THRESHOLDS if t[0] <= tax_year), key=lambda t: t[0])[1]
    return Money.of(threshold, NEC_CURRENCY)


def mask_tin(tin: str) -> str:
    """Every digit but the last four replaced by '*', separators kept: ***-**-6789."""
    digits_seen = 0
    total_digits = sum(ch.isdigit() for ch in tin)
    masked = []
    for ch in tin:
        if ch.isdigit():
            digits_seen += 1
            masked.append(ch if digits_seen > total_digits - 4 else "*")
        else:
            masked.append(ch)
    return "".join(masked)


@dataclass(frozen=True)
class CommissionPayment:
    """One payout to a reseller (positive), or a commission it repaid (negative), in USD."""

    recipient: int
    paid_on: date
    amount: Money
    withheld: Money


@dataclass(frozen=True)
class Form1099NEC:
    tax_year: int
    recipient: int
    nonemployee_compensation: Money
    federal_income_tax_withheld: Money
    payments: int
    threshold: Money

    @property
    def must_file(self) -> bool:
        return (
            self.nonemployee_compensation >= self.threshold
            or self.federal_income_tax_withheld.is_positive
        )


def forms_1099_nec(tax_year: int, payments: Iterable[CommissionPayment]) -> list[Form1099NEC]:
    """One form per recipient paid in the tax year (whether or not it must be filed)."""
    threshold = nec_reporting_threshold(tax_year)
    zero = Money.zero(NEC_CURRENCY)
    totals: dict[int, tuple[Money, Money, int]] = {}
    for payment in payments:
        if payment.paid_on.year != tax_year:
            continue
        if payment.amount.currency != NEC_CURRENCY or payment.withheld.currency != NEC_CURRENCY:
            raise DomainError("1099-NEC amounts are in USD", field="currency")
        paid, withheld, count = totals.get(payment.recipient, (zero, zero, 0))
        totals[payment.recipient] = (
            paid + payment.amount,
            withheld + payment.withheld,
            count + 1,
        )
    return [
        Form1099NEC(
            tax_year=tax_year,
            recipient=recipient,
            # Repayments can exceed the year's payments; a form never reports a negative amount.
            nonemployee_compensation=paid if paid.amount > 0 else zero,
            federal_income_tax_withheld=withheld,
            payments=count,
            threshold=threshold,
        )
        for recipient, (paid, withheld, count) in sorted(totals.items())
    ]


@dataclass(frozen=True)
class SelfBilledInvoice:
    """The commission invoice the ISP issues on a reseller's behalf when it pays a payout."""

    invoice_id: str
    recipient: int
    issued_on: date
    country: str
    net: Money
    vat_rate: Decimal
    vat: Money
    reverse_charge: bool


@dataclass(frozen=True)
class VatLine:
    country: str
    vat_rate: Decimal
    reverse_charge: bool
    currency: str
    net: Money
    vat: Money
    invoices: int


@dataclass(frozen=True)
class VatStatement:
    period_start: date
    period_end: date
    lines: tuple[VatLine, ...]

    def total_net(self, currency: str) -> Money:
        return sum(
            (line.net for line in self.lines if line.currency == currency), Money.zero(currency)
        )

    def total_vat(self, currency: str, reverse_charge: bool) -> Money:
        return sum(
            (
                line.vat
                for line in self.lines
                if line.currency == currency and line.reverse_charge == reverse_charge
            ),
            Money.zero(currency),
        )


def vat_period(
    year: int, month: int | None = None, quarter: int | None = None
) -> tuple[date, date]:
    """The first and last day of a VAT period: a month or a quarter of a year."""
    if (month is None) == (quarter is None):
        raise DomainError("give either a month or a quarter", field="period")
    if quarter is not None:
        if not 1 <= quarter <= 4:
            raise DomainError("quarter is 1 to 4", field="quarter")
        first_month, last_month = 3 * quarter - 2, 3 * quarter
    else:
        assert month is not None
        if not 1 <= month <= 12:
            raise DomainError("month is 1 to 12", field="month")
        first_month = last_month = month
    next_start = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return date(year, first_month, 1), next_start - timedelta(days=1)


def vat_statement(
    period_start: date, period_end: date, invoices: Iterable[SelfBilledInvoice]
) -> VatStatement:
    """Self-billed invoices issued in the period, per country, rate and treatment."""
    grouped: dict[tuple[str, Decimal, bool, str], tuple[Money, Money, int]] = {}
    for invoice in invoices:
        if not period_start <= invoice.issued_on <= period_end:
            continue
        key = (invoice.country, invoice.vat_rate, invoice.reverse_charge, invoice.net.currency)
        zero = Money.zero(invoice.net.currency)
        net, vat, count = grouped.get(key, (zero, zero, 0))
        grouped[key] = (net + invoice.net, vat + invoice.vat, count + 1)
    lines = tuple(
        VatLine(country, rate, reverse, currency, net, vat, count)
        for (country, rate, reverse, currency), (net, vat, count) in sorted(grouped.items())
    )
    return VatStatement(period_start, period_end, lines)


@dataclass(frozen=True)
class PartyDetails:
    """Who pays (the ISP) or who is paid (a reseller), as printed on a form."""

    name: str
    address: str
    tin: str | None
    country: str

    @property
    def masked_tin(self) -> str | None:
        return None if self.tin is None else mask_tin(self.tin)


def nec_amount_in_usd(gross: Money, paid_currency: str, fx_rate: Decimal | None) -> Money | None:
    """A payout's compensation in USD: its gross when the commission is in USD, else the gross
    at the rate recorded with the payment when it was paid in USD; None when neither holds."""
    if gross.currency == NEC_CURRENCY:
        return gross
    if paid_currency == NEC_CURRENCY and fx_rate is not None:
        return round_half_up(gross.amount * fx_rate, NEC_CURRENCY)
    return None
