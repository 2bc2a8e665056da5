"""How a payment settles a customer's open invoices: oldest first."""

from __future__ import annotations

from typing import Any

from domain.ledger.money import Money


def allocate_oldest_first(
    amount: Money, open_items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Money]:
    """Settle open items oldest first (by issue date, then number); returns the allocations
    and what is left over. Never allocates more than an item's outstanding amount."""
    allocations = []
    left = amount
    for item in sorted(open_items, key=lambda i: (i["issued_on"], i["number"])):
        if left.is_zero:
            break
        outstanding: Money = item["outstanding"]
        if not outstanding.is_positive:
            continue
        applied = outstanding if outstanding <= left else left
        allocations.append({"invoice_id": item["invoice_id"], "amount": applied})
        left = left - applied
    return allocations, left
