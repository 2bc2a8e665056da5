"""Tax rates by country, and tax on an amount: computed per line, rounded half-up, once."""

from __future__ import annotations

from decimal import Decimal

from domain.ledger.errors import DomainError
from domain.ledger.money import Money, round_half_up

# Standard VAT/GST rates in percent, by ISO 3166 country. A country missing here is refused
# rather than silently taxed at zero; 0 is an explicit rate (e.g. the US, no federal VAT).
STANDARD_RATES: dict[str, Decimal] = {
    "NG": Decimal("7.5"),
    "GB": Decimal("20"),
    "DE": Decimal("19"),
    "FR": Decimal("20"),
    "NL": Decimal("21"),
    "IE": Decimal("23"),
    "ES": Decimal("21"),
    "IT": Decimal("22"),
    "KE": Decimal("16"),
    "GH": Decimal("15"),
    "ZA": Decimal("15"),
    "AE": Decimal("5"),
    "IN": Decimal("18"),
    "AU": Decimal("10"),
    "NZ": Decimal("15"),
    "CA": Decimal("5"),
    "JP": Decimal("10"),
    "BH": Decimal("10"),
    "US": Decimal("0"),
}


def standard_rate(country: str) -> Decimal:
    try:
        return STANDARD_RATES[country]
    except KeyError:
        raise DomainError(f"no tax rate is known for country {country}", field="country") from None


def tax_on(net: Money, rate_percent: Decimal) -> Money:
    """Tax on one line's net amount, half-up to the minor unit."""
    return round_half_up(net.amount * rate_percent / Decimal(100), net.currency)
