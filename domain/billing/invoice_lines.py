"""Invoice lines: net = quantity x unit price, taxed, and the precision quantities show at."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.ledger.errors import DomainError
from domain.ledger.money import Money, round_half_up
from domain.ledger.tax import tax_on

QUANTITY_PLACES = 4
"""Quantities (e.g. the prorated share of a month, 30/31) are shown and recorded at 4 decimal
places, rounded half-up; the line's net is computed from the exact quantity, so no money
amount depends on this presentation."""


def shown_quantity(quantity: Decimal | str) -> str:
    """A quantity at the stated precision (`QUANTITY_PLACES`): 30/31 -> "0.9677", 1 -> "1.0000"."""
    exact = Decimal(str(quantity))
    return str(exact.quantize(Decimal(1).scaleb(-QUANTITY_PLACES), rounding=ROUND_HALF_UP))


def price_line(
    description: str, quantity: Decimal, unit_price: Money, rate: Decimal, service_id: str | None
) -> dict[str, Any]:
    """One invoice line: net = quantity x unit price and its tax, each rounded half-up once
    (from the exact quantity; the quantity itself is recorded at `QUANTITY_PLACES`)."""
    if not description.strip() or len(description) > 300:
        raise DomainError("a line needs a description of 1-300 characters", field="lines")
    if quantity <= 0:
        raise DomainError("a line's quantity must be positive", field="lines")
    net = round_half_up(quantity * unit_price.amount, unit_price.currency)
    return {
        "description": description.strip(),
        "quantity": shown_quantity(quantity),
        "unit_price": unit_price,
        "net": net,
        "tax": tax_on(net, rate),
        "service_id": service_id,
    }
