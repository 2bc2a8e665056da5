"""A reseller's price list for one tariff: its pricing rules as given (seed §4.2 JSON),
oldest first. The history is facts: a new rule applies from its effective_from on."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.catalogue.pricing import PriceHistory, PricingRule
from domain.ledger.ids import derived_id


class PriceList(Aggregate):
    """A reseller's pricing rules for one tariff, as the seed §4.2 JSON they were given in.
    History is kept: a new rule applies from its effective_from on."""

    class Created(Aggregate.Created):
        reseller_number: int
        tariff_number: int
        currency: str

    @event(Created)
    def __init__(self, reseller_number: int, tariff_number: int, currency: str) -> None:
        self.reseller_number = reseller_number
        self.tariff_number = tariff_number
        self.currency = currency
        self.rules: list[dict[str, Any]] = []

    @staticmethod
    def create_id(reseller_number: int, tariff_number: int) -> UUID:
        return derived_id("price-list", reseller_number, tariff_number)

    class RuleAdded(Aggregate.Event):
        rule: dict[str, Any]

    @event(RuleAdded)
    def add_rule(self, rule: dict[str, Any]) -> None:
        self.rules = [*self.rules, rule]

    def history(self) -> PriceHistory:
        history = PriceHistory(self.reseller_number, self.tariff_number)
        for payload in self.rules:
            history = history.with_rule(PricingRule.from_seed(decimals(payload), self.currency))
        return history


def decimals(payload: dict[str, Any]) -> dict[str, Any]:
    """Stored rules keep amounts as strings; the pricing module wants Decimals back."""
    parsed: dict[str, Any] = json.loads(json.dumps(payload), parse_float=Decimal)
    for key in ("markup_value", "min_price", "max_price"):
        if isinstance(parsed.get(key), str):
            parsed[key] = Decimal(parsed[key])
    promo = parsed.get("promotional_pricing")
    if isinstance(promo, dict) and isinstance(promo.get("discount_percent"), str):
        promo["discount_percent"] = Decimal(promo["discount_percent"])
    for tier in parsed.get("tiers") or []:
        if isinstance(tier.get("markup_value"), str):
            tier["markup_value"] = Decimal(tier["markup_value"])
    overrides = parsed.get("customer_type_markups") or {}
    for kind, value in list(overrides.items()):
        if isinstance(value, str):
            overrides[kind] = Decimal(value)
    return parsed
