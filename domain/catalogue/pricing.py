"""Reseller retail pricing: one rule per (reseller, tariff, effective date), resolved for a day.

A rule is the seed's pricing JSON (section 4.2), validated once by ``PricingRule.from_seed``.
Amounts are exact Decimals (a float is refused: parse JSON with ``parse_float=Decimal``).

How a price is resolved (``resolve_price``):

1. The markup that applies: a customer-type override (``customer_type_markups``) beats the
   volume tier (``tiers``: the largest ``min_volume`` <= volume, volume being the reseller's
   active services on the tariff) which beats the base ``markup_value``.
2. The list price from that markup, by ``markup_type``: "percent" is wholesale * (1 + m/100),
   "fixed" is wholesale + m, "fixed_price" is m itself (wholesale is ignored). Rounded half-up
   to the currency's minor unit, then clamped to [min_price, max_price] when given.
3. The promotion, when enabled and effective_from <= day <= valid_until (both inclusive):
   discount = list price * discount_percent / 100, rounded half-up; retail = list - discount.
   A promotion never takes the price below min_price: retail is raised back to min_price and
   the discount shrinks to match, so retail == list_price - discount always holds.

A day before the rule's effective_from is refused rather than priced by a rule not yet in force.
``PriceHistory`` keeps the rules of one (reseller, tariff) and picks the one in force on a day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from domain.ledger.errors import DomainError
from domain.ledger.money import Money, MoneyError, minor_unit, round_half_up

MARKUP_TYPES = ("percent", "fixed", "fixed_price")
# The customer types of domain.customers.customer.CUSTOMER_TYPES
# (not imported: pricing stays standalone).
CUSTOMER_TYPES = ("person", "company")

_SEED_FIELDS = frozenset(
    {
        "reseller_id",
        "service_type",
        "tariff_id",
        "markup_type",
        "markup_value",
        "min_price",
        "max_price",
        "effective_from",
        "promotional_pricing",
        "tiers",
        "customer_type_markups",
    }
)
_REQUIRED_FIELDS = ("reseller_id", "service_type", "tariff_id", "markup_type", "markup_value")
_PROMOTION_FIELDS = ("enabled", "discount_percent", "valid_until")
_TIER_FIELDS = ("min_volume", "markup_value")


@dataclass(frozen=True, slots=True)
class Tier:
    """From ``min_volume`` active services on, ``markup_value`` replaces the base markup."""

    min_volume: int
    markup_value: Decimal


@dataclass(frozen=True, slots=True)
class Promotion:
    """A percentage off the list price, from the rule's effective_from to valid_until."""

    enabled: bool
    discount_percent: Decimal
    valid_until: date


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A resolved price: retail == list_price - discount, all in the rule's currency.

    ``promotion_applied`` says the promotion was in force that day, even when min_price absorbed
    part or all of it (then ``discount`` is what was actually taken off and ``clamped`` is
    "min"). ``clamped`` names the last clamp that set the price: "max" or "min" on the list
    price, or "min" when the promotion was stopped at min_price."""

    retail: Money
    list_price: Money
    discount: Money
    promotion_applied: bool
    clamped: str | None  # "min", "max" or None


@dataclass(frozen=True, slots=True)
class PricingRule:
    """One reseller's price for one tariff from ``effective_from`` on. Fields are the seed's;
    ``markup_value`` (and each tier's and override's) is a percentage for "percent" and an
    amount of ``currency`` for "fixed" and "fixed_price"."""

    reseller_id: int
    service_type: str
    tariff_id: int
    currency: str
    markup_type: str
    markup_value: Decimal
    effective_from: date
    min_price: Money | None = None
    max_price: Money | None = None
    promotion: Promotion | None = None
    tiers: tuple[Tier, ...] = ()
    customer_type_markups: tuple[tuple[str, Decimal], ...] = ()

    def __post_init__(self) -> None:
        _check_currency(self.currency)
        if self.markup_type not in MARKUP_TYPES:
            raise DomainError(
                f"markup_type must be one of {', '.join(MARKUP_TYPES)}", field="markup_type"
            )
        self._check_markup(self.markup_value, "markup_value")
        self._check_tiers()
        for customer_type, value in self.customer_type_markups:
            if customer_type not in CUSTOMER_TYPES:
                raise DomainError(
                    f"customer type must be one of {', '.join(CUSTOMER_TYPES)}",
                    field="customer_type_markups",
                )
            self._check_markup(value, f"customer_type_markups.{customer_type}")
        self._check_clamps()
        self._check_promotion()

    def _check_markup(self, value: Decimal, field: str) -> None:
        if value < 0:
            raise DomainError(f"{field} must not be negative", field=field)
        if self.markup_type != "percent":
            _money(value, self.currency, field)

    def _check_tiers(self) -> None:
        previous: int | None = None
        for index, tier in enumerate(self.tiers):
            field = f"tiers[{index}]"
            if tier.min_volume < 0:
                raise DomainError("min_volume must not be negative", field=f"{field}.min_volume")
            if previous is not None and tier.min_volume <= previous:
                raise DomainError(
                    "tiers must be in increasing min_volume, each once",
                    field=f"{field}.min_volume",
                )
            self._check_markup(tier.markup_value, f"{field}.markup_value")
            previous = tier.min_volume

    def _check_clamps(self) -> None:
        for field, clamp in (("min_price", self.min_price), ("max_price", self.max_price)):
            if clamp is None:
                continue
            if clamp.currency != self.currency:
                raise DomainError(f"{field} must be in {self.currency}", field=field)
            if clamp.amount < 0:
                raise DomainError(f"{field} must not be negative", field=field)
        low, high = self.min_price, self.max_price
        if low is not None and high is not None and low > high:
            raise DomainError("min_price must not exceed max_price", field="min_price")

    def _check_promotion(self) -> None:
        promotion = self.promotion
        if promotion is None:
            return
        if not 0 <= promotion.discount_percent <= 100:
            raise DomainError(
                "discount_percent must be between 0 and 100",
                field="promotional_pricing.discount_percent",
            )
        if promotion.valid_until < self.effective_from:
            raise DomainError(
                "valid_until must not be before effective_from",
                field="promotional_pricing.valid_until",
            )

    @classmethod
    def from_seed(cls, payload: Mapping[str, Any], currency: str) -> PricingRule:
        """A rule from the seed's pricing JSON; the first offending field is named."""
        if not isinstance(payload, Mapping):
            raise DomainError("a pricing rule must be a JSON object", field=None)
        for key in payload:
            if key not in _SEED_FIELDS:
                raise DomainError(f"unknown pricing field {key!r}", field=str(key))
        _check_currency(currency)
        for key in (*_REQUIRED_FIELDS, "effective_from"):
            if payload.get(key) is None:
                raise DomainError(f"{key} is required", field=key)
        return cls(
            reseller_id=_integer(payload["reseller_id"], "reseller_id"),
            service_type=_text(payload["service_type"], "service_type"),
            tariff_id=_integer(payload["tariff_id"], "tariff_id"),
            currency=currency,
            markup_type=_text(payload["markup_type"], "markup_type"),
            markup_value=_decimal(payload["markup_value"], "markup_value"),
            effective_from=_date(payload["effective_from"], "effective_from"),
            min_price=_optional_money(payload.get("min_price"), currency, "min_price"),
            max_price=_optional_money(payload.get("max_price"), currency, "max_price"),
            promotion=_promotion(payload.get("promotional_pricing")),
            tiers=_tiers(payload.get("tiers")),
            customer_type_markups=_overrides(payload.get("customer_type_markups")),
        )


def applicable_markup(rule: PricingRule, volume: int = 0, customer_type: str = "person") -> Decimal:
    """The markup in force: customer-type override, else volume tier, else the base value."""
    if volume < 0:
        raise DomainError("volume must not be negative", field="volume")
    if customer_type not in CUSTOMER_TYPES:
        raise DomainError(
            f"customer_type must be one of {', '.join(CUSTOMER_TYPES)}", field="customer_type"
        )
    for override_type, value in rule.customer_type_markups:
        if override_type == customer_type:
            return value
    markup = rule.markup_value
    for tier in rule.tiers:  # increasing min_volume: the last one reached applies
        if tier.min_volume <= volume:
            markup = tier.markup_value
    return markup


def list_price(rule: PricingRule, wholesale: Money, markup: Decimal) -> Money:
    """Wholesale plus markup (or the fixed price), rounded half-up once; not yet clamped."""
    if rule.markup_type == "percent":
        exact = wholesale.amount + wholesale.amount * markup / Decimal(100)
    elif rule.markup_type == "fixed":
        exact = wholesale.amount + markup
    else:
        exact = markup
    return round_half_up(exact, rule.currency)


def promotion_in_force(rule: PricingRule, on: date) -> bool:
    promotion = rule.promotion
    return (
        promotion is not None
        and promotion.enabled
        and rule.effective_from <= on <= promotion.valid_until
    )


def resolve_price(
    rule: PricingRule,
    wholesale: Money,
    on: date,
    volume: int = 0,
    customer_type: str = "person",
) -> PriceQuote:
    """The retail price of the rule's tariff on ``on`` (see the module docstring for the order)."""
    if on < rule.effective_from:
        raise DomainError(
            f"the rule is in force from {rule.effective_from}, not on {on}", field="effective_from"
        )
    if wholesale.currency != rule.currency:
        raise DomainError(f"wholesale must be in {rule.currency}", field="currency")
    if wholesale.amount < 0:
        raise DomainError("wholesale must not be negative", field="wholesale")
    listed = list_price(rule, wholesale, applicable_markup(rule, volume, customer_type))
    clamped: str | None = None
    if rule.max_price is not None and listed > rule.max_price:
        listed, clamped = rule.max_price, "max"
    if rule.min_price is not None and listed < rule.min_price:
        listed, clamped = rule.min_price, "min"
    retail = listed
    applied = promotion_in_force(rule, on)
    if applied and rule.promotion is not None:
        discount = listed.amount * rule.promotion.discount_percent / Decimal(100)
        retail = listed - round_half_up(discount, rule.currency)
        if rule.min_price is not None and retail < rule.min_price:
            retail, clamped = rule.min_price, "min"
    return PriceQuote(
        retail=retail,
        list_price=listed,
        discount=listed - retail,
        promotion_applied=applied,
        clamped=clamped,
    )


@dataclass(frozen=True, slots=True)
class PriceHistory:
    """The pricing rules of one (reseller, tariff), in increasing effective_from.

    History is a list of facts: a price change is a new rule with a later effective_from, never
    an edit of an earlier one. There is one rule per effective date; a rule given for a date
    already present replaces that date's rule (a correction before or on the day it takes effect;
    the event log still holds the rule it replaced)."""

    reseller_id: int
    tariff_id: int
    rules: tuple[PricingRule, ...] = ()

    def __post_init__(self) -> None:
        for rule in self.rules:
            self._check_belongs(rule)
        ordered = tuple(sorted(self.rules, key=lambda rule: rule.effective_from))
        for earlier, later in pairwise(ordered):
            if earlier.effective_from == later.effective_from:
                raise DomainError(
                    f"two rules take effect on {later.effective_from}", field="effective_from"
                )
        object.__setattr__(self, "rules", ordered)

    def _check_belongs(self, rule: PricingRule) -> None:
        if rule.reseller_id != self.reseller_id:
            raise DomainError("the rule is for another reseller", field="reseller_id")
        if rule.tariff_id != self.tariff_id:
            raise DomainError("the rule is for another tariff", field="tariff_id")
        if self.rules and rule.currency != self.rules[0].currency:
            raise DomainError(f"the tariff is priced in {self.rules[0].currency}", field="currency")

    def with_rule(self, rule: PricingRule) -> PriceHistory:
        """A new history with ``rule`` added, replacing any rule of the same effective_from."""
        self._check_belongs(rule)
        kept = tuple(r for r in self.rules if r.effective_from != rule.effective_from)
        return PriceHistory(self.reseller_id, self.tariff_id, (*kept, rule))

    def rule_on(self, on: date) -> PricingRule:
        """The rule with the latest effective_from on or before ``on``."""
        in_force = [rule for rule in self.rules if rule.effective_from <= on]
        if not in_force:
            raise DomainError(f"no price is in force on {on}", field="effective_from")
        return in_force[-1]

    def resolve(
        self, wholesale: Money, on: date, volume: int = 0, customer_type: str = "person"
    ) -> PriceQuote:
        return resolve_price(self.rule_on(on), wholesale, on, volume, customer_type)


# --- parsing the seed JSON: each helper names the field it refuses ---------------------------


def _check_currency(currency: str) -> str:
    try:
        minor_unit(currency)
    except MoneyError as error:
        raise DomainError(str(error), field="currency") from None
    return currency


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, float):
        raise DomainError(f"{field} must be exact (a string or Decimal), not a float", field=field)
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise DomainError(f"{field} must be a number", field=field)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise DomainError(f"{field} is not a number: {value!r}", field=field) from None
    if not amount.is_finite():
        raise DomainError(f"{field} must be finite", field=field)
    return amount


def _money(amount: Decimal, currency: str, field: str) -> Money:
    try:
        return Money.of(amount, currency)
    except MoneyError as error:
        raise DomainError(f"{field}: {error}", field=field) from None


def _optional_money(value: object, currency: str, field: str) -> Money | None:
    if value is None:
        return None
    return _money(_decimal(value, field), currency, field)


def _integer(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"{field} must be a whole number", field=field)
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DomainError(f"{field} must be a non-empty string", field=field)
    return value


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise DomainError(f"{field} must be true or false", field=field)
    return value


def _date(value: object, field: str) -> date:
    if isinstance(value, datetime):
        raise DomainError(f"{field} must be a date, not a date-time", field=field)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise DomainError(f"{field} must be an ISO date (YYYY-MM-DD)", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{field} is not an ISO date: {value!r}", field=field) from None


def _mapping(value: object, field: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DomainError(f"{field} must be an object", field=field)
    for key in value:
        if key not in keys:
            raise DomainError(f"unknown field {key!r}", field=f"{field}.{key}")
    for key in keys:
        if value.get(key) is None:
            raise DomainError(f"{key} is required", field=f"{field}.{key}")
    return value


def _promotion(value: object) -> Promotion | None:
    if value is None:
        return None
    field = "promotional_pricing"
    promo = _mapping(value, field, _PROMOTION_FIELDS)
    return Promotion(
        enabled=_flag(promo["enabled"], f"{field}.enabled"),
        discount_percent=_decimal(promo["discount_percent"], f"{field}.discount_percent"),
        valid_until=_date(promo["valid_until"], f"{field}.valid_until"),
    )


def _tiers(value: object) -> tuple[Tier, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise DomainError("tiers must be a list", field="tiers")
    tiers = []
    for index, item in enumerate(value):
        field = f"tiers[{index}]"
        tier = _mapping(item, field, _TIER_FIELDS)
        tiers.append(
            Tier(
                min_volume=_integer(tier["min_volume"], f"{field}.min_volume"),
                markup_value=_decimal(tier["markup_value"], f"{field}.markup_value"),
            )
        )
    return tuple(tiers)


def _overrides(value: object) -> tuple[tuple[str, Decimal], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise DomainError("customer_type_markups must be an object", field="customer_type_markups")
    return tuple(
        (str(key), _decimal(markup, f"customer_type_markups.{key}"))
        for key, markup in sorted(value.items())
    )
