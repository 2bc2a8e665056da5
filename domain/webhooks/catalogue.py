"""The public event catalogue: what a webhook subscriber may receive, in a versioned schema of
its own (never the internal event envelope), and who may receive what.

Each public type is built from one internal event; the payload names no personal data (ids and
amounts only), so it can go to the reseller that owns the data and to the master ISP, and to
nobody else: a reseller's subscription matches only events whose owner is that reseller."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = "2026-12-01"


def _money(value: Any) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    return {"amount": str(value.get("amount")), "currency": str(value.get("currency"))}


Builder = Callable[[str, Mapping[str, Any]], dict[str, Any]]

CATALOGUE: dict[str, tuple[str, Builder]] = {
    "credit.alert_raised": (
        "CreditAccount.AlertsChanged",
        lambda aggregate_id, d: {
            "levels": [str(x) for x in d.get("raised", [])],
            "utilization_pct": str(d.get("utilization_pct")),
        },
    ),
    "customer.status_changed": (
        "Customer.StatusChanged",
        lambda aggregate_id, d: {
            "customer_id": aggregate_id,
            "from_status": d.get("from_status"),
            "to_status": d.get("to_status"),
        },
    ),
    "invoice.issued": (
        "CustomerAccount.InvoiceIssued",
        lambda aggregate_id, d: {
            "invoice_id": str(d.get("invoice_id")),
            "total": _money(d.get("total")),
        },
    ),
    "payment.received": (
        "CustomerAccount.PaymentReceived",
        lambda aggregate_id, d: {
            "payment_id": str(d.get("payment_id")),
            "amount": _money(d.get("amount")),
        },
    ),
    "payout.paid": (
        "Payout.Paid",
        lambda aggregate_id, d: {
            "cycle": d.get("cycle"),
            "gross_commission": _money(d.get("gross_commission")),
        },
    ),
}
PUBLIC_TYPE_OF = {internal: public for public, (internal, _) in CATALOGUE.items()}


@dataclass(frozen=True, slots=True)
class Subscriber:
    """`reseller` None: the master ISP's subscription, which sees every reseller's events."""

    reseller: int | None
    event_types: frozenset[str]


def public_event(
    event_type: str,
    position: int,
    owner: int | None,
    aggregate_id: str,
    timestamp: str,
    data: Mapping[str, Any],
) -> dict[str, Any] | None:
    public = PUBLIC_TYPE_OF.get(event_type)
    if public is None:
        return None
    _, build = CATALOGUE[public]
    return {
        "type": public,
        "schema_version": SCHEMA_VERSION,
        "position": position,
        "reseller_id": owner,
        "occurred_at": timestamp,
        "data": build(aggregate_id, data),
    }


def receives(subscriber: Subscriber, event_type: str, owner: int | None) -> bool:
    public = PUBLIC_TYPE_OF.get(event_type)
    if public is None or public not in subscriber.event_types:
        return False
    if subscriber.reseller is None:
        return True
    return owner is not None and owner == subscriber.reseller
