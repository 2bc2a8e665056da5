"""Response shapes of the catalogue's routes (money as decimal strings)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class TariffOut(BaseModel):
    """A tariff, as defining it answers."""

    tariff_id: int
    service_type: str
    name: str
    wholesale_price: str
    currency: str
    regions: list[str]


class AuthorizedTariffsOut(BaseModel):
    reseller_id: int
    authorized_tariffs: dict[str, list[str]]
    """Tariff id (as text) to the regions the reseller may sell it in (empty: everywhere)."""


class PriceListOut(BaseModel):
    reseller_id: int
    tariff_id: int
    rules: list[dict[str, Any]]
    """The pricing rules in force order, each as given (seed §4.2 JSON) with its reseller_id."""
