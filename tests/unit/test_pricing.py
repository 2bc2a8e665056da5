import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from domain.catalogue.pricing import (
    PriceHistory,
    PriceQuote,
    PricingRule,
    Promotion,
    Tier,
    applicable_markup,
    resolve_price,
)
from domain.ledger.errors import DomainError
from domain.ledger.money import Money

# Section 4.2 of the seed, verbatim.
SEED_JSON = """
{
  "reseller_id": 1,
  "service_type": "internet",
  "tariff_id": 5,
  "markup_type": "percent",
  "markup_value": 25.00,
  "min_price": 50.00,
  "max_price": 200.00,
  "effective_from": "2024-01-01",
  "promotional_pricing": {
    "enabled": true,
    "discount_percent": 10,
    "valid_until": "2024-03-31"
  }
}
"""


def seed_payload():
    return json.loads(SEED_JSON, parse_float=Decimal)


def seed_rule():
    return PricingRule.from_seed(seed_payload(), "USD")


def d(text):
    return date.fromisoformat(text)


def usd(amount):
    return Money.of(amount, "USD")


def plain(currency="USD", **fields):
    """A rule without clamps or promotion, overridden by ``fields`` (None removes a field)."""
    payload = {
        "reseller_id": 1,
        "service_type": "internet",
        "tariff_id": 5,
        "markup_type": "percent",
        "markup_value": "25",
        "effective_from": "2024-01-01",
    }
    payload.update(fields)
    return PricingRule.from_seed({k: v for k, v in payload.items() if v is not None}, currency)


def quote(retail, list_price=None, discount="0", applied=False, clamped=None, currency="USD"):
    return PriceQuote(
        retail=Money.of(retail, currency),
        list_price=Money.of(list_price if list_price is not None else retail, currency),
        discount=Money.of(discount, currency),
        promotion_applied=applied,
        clamped=clamped,
    )


ON = d("2024-06-01")


# --- the seed example ------------------------------------------------------------------------


def test_seed_json_is_normalized_to_exact_values():
    rule = seed_rule()
    assert rule.reseller_id == 1
    assert rule.service_type == "internet"
    assert rule.tariff_id == 5
    assert rule.currency == "USD"
    assert rule.markup_type == "percent"
    assert rule.markup_value == Decimal("25.00")
    assert rule.min_price == usd("50.00")
    assert rule.max_price == usd("200.00")
    assert rule.effective_from == date(2024, 1, 1)
    assert rule.promotion == Promotion(True, Decimal("10"), date(2024, 3, 31))
    assert rule.tiers == ()
    assert rule.customer_type_markups == ()


def test_seed_json_parsed_with_floats_is_refused():
    with pytest.raises(DomainError) as caught:
        PricingRule.from_seed(json.loads(SEED_JSON), "USD")
    assert caught.value.field == "markup_value"


@pytest.mark.parametrize(
    ("wholesale", "on", "expected"),
    [
        ("80.00", "2024-02-01", quote("90.00", "100.00", "10.00", applied=True)),
        ("80.00", "2024-04-01", quote("100.00")),
        ("30.00", "2024-04-01", quote("50.00", clamped="min")),  # 37.50 raised to min
        ("30.00", "2024-02-01", quote("50.00", applied=True, clamped="min")),
        ("42.00", "2024-02-01", quote("50.00", "52.50", "2.50", applied=True, clamped="min")),
        ("160.00", "2024-04-01", quote("200.00")),
        ("240.00", "2024-04-01", quote("200.00", clamped="max")),  # 300.00 cut to max
        ("240.00", "2024-02-01", quote("180.00", "200.00", "20.00", True, "max")),
    ],
)
def test_seed_rule(wholesale, on, expected):
    assert resolve_price(seed_rule(), usd(wholesale), d(on)) == expected


# --- pricing models --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup_type", "markup_value", "wholesale", "retail"),
    [
        ("percent", "25", "80.00", "100.00"),
        ("percent", "0", "80.00", "80.00"),
        ("percent", "12.5", "80.00", "90.00"),
        ("percent", "150", "10.00", "25.00"),
        ("fixed", "15.50", "80.00", "95.50"),
        ("fixed", "0", "80.00", "80.00"),
        ("fixed", 20, "0.00", "20.00"),
        ("fixed_price", "99.99", "80.00", "99.99"),
        ("fixed_price", "99.99", "10.00", "99.99"),
        ("fixed_price", "99.99", "150.00", "99.99"),
        ("fixed_price", "0", "80.00", "0.00"),
    ],
)
def test_pricing_models(markup_type, markup_value, wholesale, retail):
    rule = plain(markup_type=markup_type, markup_value=markup_value)
    assert resolve_price(rule, usd(wholesale), ON) == quote(retail)


# --- clamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup_type", "markup_value", "wholesale", "retail", "clamped"),
    [
        ("percent", "25", "40.00", "50.00", None),  # exactly at min
        ("percent", "25", "39.99", "50.00", "min"),  # 49.9875 -> 49.99, past min
        ("percent", "12.5", "44.44", "50.00", None),  # 49.995 rounds up onto min
        ("percent", "25", "100.00", "125.00", None),
        ("percent", "25", "160.00", "200.00", None),  # exactly at max
        ("percent", "25", "160.01", "200.00", "max"),  # 200.0125 -> 200.01, past max
        ("fixed", "10.00", "39.99", "50.00", "min"),  # 49.99
        ("fixed", "10.00", "190.01", "200.00", "max"),  # 200.01
        ("fixed_price", "10.00", "80.00", "50.00", "min"),
        ("fixed_price", "250.00", "80.00", "200.00", "max"),
    ],
)
def test_list_price_is_clamped_to_min_and_max(
    markup_type, markup_value, wholesale, retail, clamped
):
    rule = plain(
        markup_type=markup_type, markup_value=markup_value, min_price="50", max_price="200"
    )
    assert resolve_price(rule, usd(wholesale), ON) == quote(retail, clamped=clamped)


@pytest.mark.parametrize(
    ("min_price", "max_price", "wholesale", "expected"),
    [
        ("50", None, "1000.00", quote("1250.00")),
        ("50", None, "8.00", quote("50.00", clamped="min")),
        (None, "200", "8.00", quote("10.00")),
        (None, "200", "1000.00", quote("200.00", clamped="max")),
        ("100", "100", "80.00", quote("100.00")),
        ("100", "100", "8.00", quote("100.00", clamped="min")),
    ],
)
def test_one_sided_and_equal_clamps(min_price, max_price, wholesale, expected):
    rule = plain(min_price=min_price, max_price=max_price)
    assert resolve_price(rule, usd(wholesale), ON) == expected


# --- promotions ------------------------------------------------------------------------------


def test_the_day_before_effective_from_is_refused():
    with pytest.raises(DomainError) as caught:
        resolve_price(seed_rule(), usd("80.00"), d("2023-12-31"))
    assert caught.value.field == "effective_from"


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2024-01-01", quote("90.00", "100.00", "10.00", applied=True)),  # effective_from
        ("2024-02-29", quote("90.00", "100.00", "10.00", applied=True)),
        ("2024-03-31", quote("90.00", "100.00", "10.00", applied=True)),  # valid_until inclusive
        ("2024-04-01", quote("100.00")),  # the day after
        ("2030-01-01", quote("100.00")),
    ],
)
def test_promotion_validity_edges(on, expected):
    assert resolve_price(seed_rule(), usd("80.00"), d(on)) == expected


@pytest.mark.parametrize("on", ["2024-01-01", "2024-02-01", "2024-03-31", "2024-04-01"])
def test_disabled_promotion_never_applies(on):
    payload = seed_payload()
    payload["promotional_pricing"]["enabled"] = False
    rule = PricingRule.from_seed(payload, "USD")
    assert resolve_price(rule, usd("80.00"), d(on)) == quote("100.00")


@pytest.mark.parametrize(
    ("discount_percent", "min_price", "wholesale", "expected"),
    [
        ("0", None, "80.00", quote("100.00", applied=True)),
        ("100", None, "80.00", quote("0.00", "100.00", "100.00", applied=True)),
        ("100", "50", "80.00", quote("50.00", "100.00", "50.00", True, "min")),
        ("50", "50", "80.00", quote("50.00", "100.00", "50.00", applied=True)),  # lands on min
        ("50.01", "50", "80.00", quote("50.00", "100.00", "50.00", True, "min")),  # 49.99
        ("10", "50", "44.00", quote("50.00", "55.00", "5.00", True, "min")),  # 49.50 raised
        ("10", "50", "40.00", quote("50.00", applied=True, clamped="min")),  # list on min
    ],
)
def test_promotion_never_goes_below_min_price(discount_percent, min_price, wholesale, expected):
    rule = plain(
        min_price=min_price,
        promotional_pricing={
            "enabled": True,
            "discount_percent": discount_percent,
            "valid_until": "2024-12-31",
        },
    )
    assert resolve_price(rule, usd(wholesale), ON) == expected


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2024-01-01", quote("90.00", "100.00", "10.00", applied=True)),
        ("2024-01-02", quote("100.00")),
    ],
)
def test_one_day_promotion(on, expected):
    rule = plain(
        promotional_pricing={"enabled": True, "discount_percent": 10, "valid_until": "2024-01-01"}
    )
    assert resolve_price(rule, usd("80.00"), d(on)) == expected


# --- tiers and customer types ----------------------------------------------------------------

TIERS = [{"min_volume": 0, "markup_value": "25"}, {"min_volume": 100, "markup_value": "20"}]


@pytest.mark.parametrize(
    ("volume", "customer_type", "markup", "retail"),
    [
        (0, "person", "25", "100.00"),
        (99, "person", "25", "100.00"),
        (100, "person", "20", "96.00"),
        (101, "person", "20", "96.00"),
        (5000, "person", "20", "96.00"),
        (0, "company", "15", "92.00"),  # the override beats the tier
        (99, "company", "15", "92.00"),
        (100, "company", "15", "92.00"),
    ],
)
def test_customer_type_override_beats_volume_tier(volume, customer_type, markup, retail):
    rule = plain(markup_value="30", tiers=TIERS, customer_type_markups={"company": "15"})
    assert applicable_markup(rule, volume, customer_type) == Decimal(markup)
    assert resolve_price(rule, usd("80.00"), ON, volume, customer_type) == quote(retail)


@pytest.mark.parametrize(
    ("volume", "retail"),
    [(0, "104.00"), (9, "104.00"), (10, "100.00"), (99, "100.00"), (100, "96.00")],
)
def test_volume_below_the_first_tier_uses_the_base_markup(volume, retail):
    rule = plain(
        markup_value="30",
        tiers=[{"min_volume": 10, "markup_value": "25"}, {"min_volume": 100, "markup_value": 20}],
    )
    assert resolve_price(rule, usd("80.00"), ON, volume=volume) == quote(retail)


@pytest.mark.parametrize(
    ("markup_type", "base", "tier", "volume", "retail"),
    [
        ("fixed", "20.00", "15.00", 99, "100.00"),
        ("fixed", "20.00", "15.00", 100, "95.00"),
        ("fixed_price", "99.00", "89.00", 99, "99.00"),
        ("fixed_price", "99.00", "89.00", 100, "89.00"),
    ],
)
def test_tiers_follow_the_markup_type(markup_type, base, tier, volume, retail):
    rule = plain(
        markup_type=markup_type,
        markup_value=base,
        tiers=[{"min_volume": 100, "markup_value": tier}],
    )
    assert resolve_price(rule, usd("80.00"), ON, volume=volume) == quote(retail)


@pytest.mark.parametrize(("customer_type", "retail"), [("person", "108.00"), ("company", "100.00")])
def test_override_for_person_only(customer_type, retail):
    rule = plain(customer_type_markups={"person": "35"})
    assert resolve_price(rule, usd("80.00"), ON, customer_type=customer_type) == quote(retail)


def test_tiers_are_normalized():
    rule = plain(tiers=TIERS, customer_type_markups={"person": "1", "company": 2})
    assert rule.tiers == (Tier(0, Decimal("25")), Tier(100, Decimal("20")))
    assert rule.customer_type_markups == (("company", Decimal("2")), ("person", Decimal("1")))


# --- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup_type", "markup_value", "wholesale", "retail"),
    [
        ("percent", "25", "39.99", "49.99"),  # 49.9875
        ("percent", "5", "0.10", "0.11"),  # 0.105: half-up, not half-even (0.10)
        ("percent", "5", "0.50", "0.53"),  # 0.525: half-up, not half-even (0.52)
        ("percent", "12.5", "10.10", "11.36"),  # 11.3625
        ("percent", "33.33", "19.99", "26.65"),  # 26.652667
        ("percent", "50", "0.01", "0.02"),  # 0.015
        ("percent", "12.5", "44.44", "50.00"),  # 49.995
    ],
)
def test_list_price_rounds_half_up_once(markup_type, markup_value, wholesale, retail):
    rule = plain(markup_type=markup_type, markup_value=markup_value)
    assert resolve_price(rule, usd(wholesale), ON) == quote(retail)


@pytest.mark.parametrize(
    ("list_price", "discount_percent", "expected"),
    [
        ("99.85", "10", quote("89.86", "99.85", "9.99", applied=True)),  # 9.985 -> 9.99
        ("33.33", "15", quote("28.33", "33.33", "5.00", applied=True)),  # 4.9995 -> 5.00
        ("10.01", "12.5", quote("8.76", "10.01", "1.25", applied=True)),  # 1.25125 -> 1.25
    ],
)
def test_discount_rounds_half_up(list_price, discount_percent, expected):
    rule = plain(
        markup_type="fixed_price",
        markup_value=list_price,
        promotional_pricing={
            "enabled": True,
            "discount_percent": discount_percent,
            "valid_until": "2024-12-31",
        },
    )
    assert resolve_price(rule, usd("1.00"), ON) == expected


# --- other currencies ------------------------------------------------------------------------

PROMO_ALL_YEAR = {"enabled": True, "discount_percent": "10", "valid_until": "2024-12-31"}


@pytest.mark.parametrize(
    ("currency", "fields", "wholesale", "expected"),
    [
        ("JPY", {}, "1000", quote("1250", currency="JPY")),
        ("JPY", {}, "999", quote("1249", currency="JPY")),  # 1248.75
        ("JPY", {}, "1002", quote("1253", currency="JPY")),  # 1252.5: half-up
        (
            "JPY",
            {"promotional_pricing": PROMO_ALL_YEAR},
            "1002",
            quote("1128", "1253", "125", True, currency="JPY"),
        ),
        (
            "JPY",
            {"markup_type": "fixed", "markup_value": 500},
            "1000",
            quote("1500", currency="JPY"),
        ),
        (
            "JPY",
            {"min_price": 2000, "max_price": "3000"},
            "1000",
            quote("2000", clamped="min", currency="JPY"),
        ),
        ("BHD", {"markup_value": "12.5"}, "1.236", quote("1.391", currency="BHD")),  # 1.3905
        (
            "BHD",
            {"markup_type": "fixed", "markup_value": "0.250"},
            "1.000",
            quote("1.250", currency="BHD"),
        ),
        (
            "BHD",
            {"markup_value": "12.5", "promotional_pricing": PROMO_ALL_YEAR},
            "1.236",
            quote("1.252", "1.391", "0.139", True, currency="BHD"),
        ),
        ("BHD", {"max_price": "1.300"}, "1.236", quote("1.300", clamped="max", currency="BHD")),
    ],
)
def test_currencies_with_zero_and_three_decimals(currency, fields, wholesale, expected):
    rule = plain(currency, **fields)
    assert resolve_price(rule, Money.of(wholesale, currency), ON) == expected


# --- price history ---------------------------------------------------------------------------

JANUARY = plain(markup_value="25", effective_from="2024-01-01")
APRIL = plain(markup_value="20", effective_from="2024-04-01")
JULY = plain(markup_type="fixed_price", markup_value="110.00", effective_from="2024-07-01")
HISTORY = PriceHistory(1, 5).with_rule(JULY).with_rule(JANUARY).with_rule(APRIL)


def test_history_keeps_rules_in_effective_order():
    assert HISTORY.rules == (JANUARY, APRIL, JULY)


@pytest.mark.parametrize(
    ("on", "rule", "retail"),
    [
        ("2024-01-01", JANUARY, "100.00"),
        ("2024-01-02", JANUARY, "100.00"),
        ("2024-03-31", JANUARY, "100.00"),
        ("2024-04-01", APRIL, "96.00"),
        ("2024-04-02", APRIL, "96.00"),
        ("2024-06-30", APRIL, "96.00"),
        ("2024-07-01", JULY, "110.00"),
        ("2024-07-02", JULY, "110.00"),
        ("2030-01-01", JULY, "110.00"),
    ],
)
def test_history_resolves_the_rule_in_force(on, rule, retail):
    assert HISTORY.rule_on(d(on)) is rule
    assert HISTORY.resolve(usd("80.00"), d(on)) == quote(retail)


@pytest.mark.parametrize("history", [HISTORY, PriceHistory(1, 5)])
def test_history_before_its_first_rule_is_refused(history):
    with pytest.raises(DomainError) as caught:
        history.rule_on(d("2023-12-31"))
    assert caught.value.field == "effective_from"
    with pytest.raises(DomainError) as caught:
        history.resolve(usd("80.00"), d("2023-12-31"))
    assert caught.value.field == "effective_from"


def test_history_resolve_passes_volume_and_customer_type():
    history = PriceHistory(1, 5, (plain(tiers=TIERS, customer_type_markups={"company": "15"}),))
    assert history.resolve(usd("80.00"), ON, 100) == quote("96.00")
    assert history.resolve(usd("80.00"), ON, 100, "company") == quote("92.00")


def test_a_rule_for_an_existing_date_replaces_it_in_a_new_history():
    correction = plain(markup_value="15", effective_from="2024-04-01")
    corrected = HISTORY.with_rule(correction)
    assert corrected.rules == (JANUARY, correction, JULY)
    assert corrected.resolve(usd("80.00"), d("2024-04-01")) == quote("92.00")
    assert HISTORY.rules == (JANUARY, APRIL, JULY)  # the original is unchanged


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (plain(reseller_id=2), "reseller_id"),
        (plain(tariff_id=6), "tariff_id"),
        (plain("EUR", effective_from="2024-08-01"), "currency"),
    ],
)
def test_history_refuses_rules_of_another_reseller_tariff_or_currency(rule, field):
    with pytest.raises(DomainError) as caught:
        HISTORY.with_rule(rule)
    assert caught.value.field == field


def test_history_built_directly_refuses_two_rules_on_one_date():
    with pytest.raises(DomainError) as caught:
        PriceHistory(1, 5, (JANUARY, plain(markup_value="15")))
    assert caught.value.field == "effective_from"


# --- validation ------------------------------------------------------------------------------

DROP = object()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"markup_vlaue": "25"}, "markup_vlaue"),
        ({"reseller_id": DROP}, "reseller_id"),
        ({"reseller_id": "1"}, "reseller_id"),
        ({"reseller_id": True}, "reseller_id"),
        ({"tariff_id": DROP}, "tariff_id"),
        ({"tariff_id": 5.0}, "tariff_id"),
        ({"service_type": ""}, "service_type"),
        ({"service_type": 3}, "service_type"),
        ({"markup_type": "percentage"}, "markup_type"),
        ({"markup_type": DROP}, "markup_type"),
        ({"markup_type": None}, "markup_type"),
        ({"markup_value": DROP}, "markup_value"),
        ({"markup_value": 25.0}, "markup_value"),
        ({"markup_value": "-0.01"}, "markup_value"),
        ({"markup_value": "abc"}, "markup_value"),
        ({"markup_value": "NaN"}, "markup_value"),
        ({"markup_value": "Infinity"}, "markup_value"),
        ({"markup_value": True}, "markup_value"),
        ({"markup_type": "fixed", "markup_value": "0.001"}, "markup_value"),
        ({"markup_type": "fixed_price", "markup_value": "-5"}, "markup_value"),
        ({"min_price": "-1", "max_price": None}, "min_price"),
        ({"min_price": 50.0}, "min_price"),
        ({"min_price": "50.001"}, "min_price"),
        ({"min_price": "200.01"}, "min_price"),  # above max_price
        ({"max_price": "-1", "min_price": None}, "max_price"),
        ({"max_price": 200.0}, "max_price"),
        ({"max_price": "49.99"}, "min_price"),  # min_price above max_price
        ({"effective_from": DROP}, "effective_from"),
        ({"effective_from": "2024-13-01"}, "effective_from"),
        ({"effective_from": 20240101}, "effective_from"),
        ({"effective_from": datetime(2024, 1, 1, 12, 0)}, "effective_from"),
        ({"promotional_pricing": "on"}, "promotional_pricing"),
        (
            {"promotional_pricing.discount_percent": "100.01"},
            "promotional_pricing.discount_percent",
        ),
        ({"promotional_pricing.discount_percent": "-1"}, "promotional_pricing.discount_percent"),
        ({"promotional_pricing.discount_percent": 10.0}, "promotional_pricing.discount_percent"),
        ({"promotional_pricing.discount_percent": DROP}, "promotional_pricing.discount_percent"),
        ({"promotional_pricing.valid_until": "2023-12-31"}, "promotional_pricing.valid_until"),
        ({"promotional_pricing.valid_until": "31/03/2024"}, "promotional_pricing.valid_until"),
        ({"promotional_pricing.valid_until": DROP}, "promotional_pricing.valid_until"),
        ({"promotional_pricing.enabled": "yes"}, "promotional_pricing.enabled"),
        ({"promotional_pricing.enabled": 1}, "promotional_pricing.enabled"),
        ({"promotional_pricing.code": "SPRING"}, "promotional_pricing.code"),
        ({"tiers": "many"}, "tiers"),
        ({"tiers": ["x"]}, "tiers[0]"),
        ({"tiers": [{"min_volume": -1, "markup_value": "20"}]}, "tiers[0].min_volume"),
        ({"tiers": [{"min_volume": "100", "markup_value": "20"}]}, "tiers[0].min_volume"),
        ({"tiers": [{"markup_value": "20"}]}, "tiers[0].min_volume"),
        ({"tiers": [{"min_volume": 0, "markup_value": "-5"}]}, "tiers[0].markup_value"),
        ({"tiers": [{"min_volume": 0, "markup_value": 20.0}]}, "tiers[0].markup_value"),
        ({"tiers": [{"min_volume": 0, "markup_value": "1", "x": 1}]}, "tiers[0].x"),
        ({"tiers": [*TIERS, {"min_volume": 100, "markup_value": "10"}]}, "tiers[2].min_volume"),
        ({"tiers": [TIERS[1], TIERS[0]]}, "tiers[1].min_volume"),
        (
            {"markup_type": "fixed", "tiers": [{"min_volume": 0, "markup_value": "1.001"}]},
            "tiers[0].markup_value",
        ),
        ({"customer_type_markups": ["company"]}, "customer_type_markups"),
        ({"customer_type_markups": {"reseller": "5"}}, "customer_type_markups"),
        ({"customer_type_markups": {"company": "-1"}}, "customer_type_markups.company"),
        ({"customer_type_markups": {"company": 15.0}}, "customer_type_markups.company"),
    ],
)
def test_invalid_seed_fields_are_named(change, field):
    payload = seed_payload()
    for key, value in change.items():
        target, name = payload, key
        if key.startswith("promotional_pricing."):
            target, name = payload["promotional_pricing"], key.split(".", 1)[1]
        if value is DROP:
            del target[name]
        else:
            target[name] = value
    with pytest.raises(DomainError) as caught:
        PricingRule.from_seed(payload, "USD")
    assert caught.value.field == field


@pytest.mark.parametrize("currency", ["XXX", "usd", ""])
def test_unknown_currency_is_refused(currency):
    with pytest.raises(DomainError) as caught:
        PricingRule.from_seed(seed_payload(), currency)
    assert caught.value.field == "currency"


def test_payload_must_be_an_object():
    with pytest.raises(DomainError):
        PricingRule.from_seed([], "USD")


def test_rules_built_directly_are_validated_too():
    with pytest.raises(DomainError) as caught:
        PricingRule(1, "internet", 5, "USD", "bogus", Decimal(1), date(2024, 1, 1))
    assert caught.value.field == "markup_type"
    with pytest.raises(DomainError) as caught:
        PricingRule(
            1, "internet", 5, "USD", "fixed", Decimal(1), date(2024, 1, 1), usd("10"), usd("5")
        )
    assert caught.value.field == "min_price"
    with pytest.raises(DomainError) as caught:
        PricingRule(
            1, "internet", 5, "USD", "fixed", Decimal(1), date(2024, 1, 1), Money.of("1", "EUR")
        )
    assert caught.value.field == "min_price"


@pytest.mark.parametrize(
    ("wholesale", "on", "volume", "customer_type", "field"),
    [
        (usd("80.00"), "2023-12-31", 0, "person", "effective_from"),
        (Money.of("80.00", "EUR"), "2024-06-01", 0, "person", "currency"),
        (usd("-0.01"), "2024-06-01", 0, "person", "wholesale"),
        (usd("80.00"), "2024-06-01", -1, "person", "volume"),
        (usd("80.00"), "2024-06-01", 0, "reseller", "customer_type"),
    ],
)
def test_resolve_refuses_bad_arguments(wholesale, on, volume, customer_type, field):
    with pytest.raises(DomainError) as caught:
        resolve_price(seed_rule(), wholesale, d(on), volume, customer_type)
    assert caught.value.field == field
