"""The ISP's tariff catalogue, its authorization per reseller, and resellers' pricing (seed §4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from commands.errors import NotFound, Unprocessable
from commands.models import Amount, ApiDate, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load, load_or_carried_over
from domain.access.roles import Permission
from domain.catalogue.authorizations import TariffAuthorizations, tariff_authorizations_id
from domain.catalogue.price_list import PriceList, decimals
from domain.catalogue.pricing import PriceHistory, PriceQuote, PricingRule
from domain.catalogue.tariffs import Counter, Tariff, tariff_id
from domain.ledger.errors import DomainError
from domain.ledger.money import Money
from domain.partners.reseller import Reseller, reseller_id


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


class DefineTariff(CommandModel):
    service_type: Literal["internet", "voice", "bundle", "value_added"]
    name: str = Field(min_length=1, max_length=200)
    wholesale_price: Amount = Field(gt=0)
    currency: Currency
    regions: list[str] = Field(default_factory=list, max_length=200)


class AuthorizeTariff(CommandModel):
    tariff_id: int = Field(ge=1)
    regions: list[str] = Field(default_factory=list, max_length=200)


class Promotional(CommandModel):
    enabled: bool
    discount_percent: Amount = Field(ge=0, le=100)
    valid_until: ApiDate


class Tier(CommandModel):
    min_volume: int = Field(ge=0)
    markup_value: Amount = Field(ge=0)


class SetPricing(CommandModel):
    """Seed §4.2, as-is, plus optional `tiers` and `customer_type_markups`."""

    reseller_id: int | None = Field(default=None, ge=1)
    service_type: str = Field(min_length=1, max_length=40)
    tariff_id: int = Field(ge=1)
    markup_type: Literal["percent", "fixed", "fixed_price"]
    markup_value: Amount = Field(ge=0)
    min_price: Amount | None = Field(default=None, ge=0)
    max_price: Amount | None = Field(default=None, ge=0)
    effective_from: ApiDate
    promotional_pricing: Promotional | None = None
    tiers: list[Tier] | None = Field(default=None, max_length=20)
    customer_type_markups: dict[Literal["person", "company"], Amount] | None = None


def tariff_view(tariff: Tariff) -> dict[str, Any]:
    return {
        "tariff_id": tariff.number,
        "service_type": tariff.service_type,
        "name": tariff.name,
        "wholesale_price": str(tariff.wholesale.amount),
        "currency": tariff.wholesale.currency,
        "regions": tariff.regions,
    }


def define_tariff(store: Store, context: RequestContext, command: DefineTariff) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)
    wholesale = money(command.wholesale_price, command.currency, "wholesale_price")

    def handle() -> Outcome:
        counter_id = Counter.create_id("tariffs")
        counter = (
            load(store, counter_id, Counter, "counter")
            if exists(store, counter_id)
            else (Counter(name="tariffs"))
        )
        tariff = Tariff.define(
            counter.take(), command.service_type, command.name, wholesale, command.regions
        )
        return Outcome([counter, tariff], tariff_view(tariff), 0, None, 201)

    return run_command(
        store, context, handle, fingerprint("define_tariff", command.model_dump(mode="json"))
    )


def load_tariff(store: Store, number: int) -> Tariff:
    return load(store, tariff_id(number), Tariff, "tariff")


def load_authorizations(store: Store, reseller: Reseller) -> TariffAuthorizations:
    """The tariffs the reseller may sell: its stored authorizations, else the ones its legacy
    events left (unsaved)."""
    return load_or_carried_over(
        store,
        tariff_authorizations_id(reseller.number),
        TariffAuthorizations,
        lambda: TariffAuthorizations.carried_over(reseller),
    )


def authorize_tariff(
    store: Store, context: RequestContext, reseller_number: int, command: AuthorizeTariff
) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        tariff = load_tariff(store, command.tariff_id)
        unknown = set(command.regions) - set(tariff.regions) if tariff.regions else set()
        if unknown:
            raise Unprocessable(f"the tariff is not sold in {sorted(unknown)}", field="regions")
        authorizations = load_authorizations(store, reseller)
        authorizations.authorize(tariff.number, sorted(set(command.regions)))
        body = {
            "reseller_id": reseller.number,
            "authorized_tariffs": authorizations.authorized_tariffs,
        }
        return Outcome([authorizations], body, reseller.root_number, reseller.number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("authorize_tariff", reseller_number, command.model_dump(mode="json")),
    )


def set_pricing(store: Store, context: RequestContext, command: SetPricing) -> CommandResult:
    principal = context.principal
    number = principal.reseller_in_scope(command.reseller_id)
    principal.require(Permission.BILLING_MANAGE)
    payload = _json_safe(command.model_dump(exclude_none=True))
    payload["reseller_id"] = number

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        if not load_authorizations(store, reseller).is_authorized(command.tariff_id):
            raise NotFound("tariff not found", field="tariff_id")
        tariff = load_tariff(store, command.tariff_id)
        if command.service_type != tariff.service_type:
            raise Unprocessable(
                f"tariff {tariff.number} is a {tariff.service_type} tariff", field="service_type"
            )
        list_id = PriceList.create_id(number, tariff.number)
        prices = (
            load(store, list_id, PriceList, "price list")
            if exists(store, list_id)
            else (
                PriceList(
                    reseller_number=number,
                    tariff_number=tariff.number,
                    currency=tariff.wholesale.currency,
                )
            )
        )
        try:
            prices.history().with_rule(PricingRule.from_seed(decimals(payload), prices.currency))
        except DomainError as error:
            raise Unprocessable(str(error), field=error.field) from None
        prices.add_rule(payload)
        body = {"reseller_id": number, "tariff_id": tariff.number, "rules": prices.rules}
        return Outcome([prices], body, reseller.root_number, number, 201)

    return run_command(store, context, handle, fingerprint("set_pricing", number, payload))


def price_history(store: Store, reseller_number: int, tariff_number: int) -> PriceHistory:
    list_id = PriceList.create_id(reseller_number, tariff_number)
    if not exists(store, list_id):
        raise NotFound("no pricing for that tariff", field="tariff_id")
    return load(store, list_id, PriceList, "price list").history()


def retail_price(
    store: Store, reseller_number: int, tariff: Tariff, on: date, volume: int, customer_type: str
) -> PriceQuote:
    """The reseller's retail price for a tariff on a date; without a pricing rule, wholesale."""
    list_id = PriceList.create_id(reseller_number, tariff.number)
    if not exists(store, list_id):
        zero = Money.zero(tariff.wholesale.currency)
        return PriceQuote(tariff.wholesale, tariff.wholesale, zero, False, None)
    history = load(store, list_id, PriceList, "price list").history()
    return history.resolve(tariff.wholesale, on, volume, customer_type)


def quote(
    store: Store,
    context: RequestContext,
    tariff_number: int,
    on: date,
    volume: int,
    customer_type: str,
    reseller_number: int | None,
) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_VIEW)
    reseller = load(store, reseller_id(number), Reseller, "reseller")
    if not load_authorizations(store, reseller).is_authorized(tariff_number):
        raise NotFound("tariff not found", field="tariff_id")
    tariff = load_tariff(store, tariff_number)
    try:
        price = retail_price(store, number, tariff, on, volume, customer_type)
    except DomainError as error:
        raise Unprocessable(str(error), field=error.field) from None
    return {
        "tariff_id": tariff_number,
        "on": on.isoformat(),
        "currency": price.retail.currency,
        "wholesale": str(tariff.wholesale.amount),
        "list_price": str(price.list_price.amount),
        "discount": str(price.discount.amount),
        "retail": str(price.retail.amount),
        "promotion_applied": price.promotion_applied,
        "clamped": price.clamped,
    }


def catalogue(store: Store, context: RequestContext, reseller_number: int | None) -> dict[str, Any]:
    """The tariffs a reseller may sell, with their regions."""
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_VIEW)
    reseller = load(store, reseller_id(number), Reseller, "reseller")
    items = []
    authorized = load_authorizations(store, reseller).authorized_tariffs
    for key, regions in sorted(authorized.items(), key=lambda kv: int(kv[0])):
        items.append(tariff_view(load_tariff(store, int(key))) | {"authorized_regions": regions})
    return {"reseller_id": number, "tariffs": items}
