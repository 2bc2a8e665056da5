"""Use cases of the catalogue and of customers' services: tariffs, their authorization per
reseller, pricing, and a service's add / activate / suspend lifecycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    SetPricing,
    authorize_tariff,
    define_tariff,
    quote,
    set_pricing,
)
from commands.credit.credit_account import (
    ChangeCreditPolicy,
    RecordCharge,
    change_credit_policy,
    record_charge,
)
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    add_service,
    change_service_status,
)
from commands.errors import Conflict, Forbidden, NotFound, Unprocessable
from domain.access.roles import Role
from domain.catalogue.tariffs import CustomerService
from domain.customers.customer import Customer
from tests.support.in_memory import event_names, events_since, head

from .steps import a_customer, a_reseller, a_service, a_tariff, as_isp, as_reseller, body


def test_the_isp_defines_tariffs_numbered_in_order(store) -> None:
    numbers = [
        body(
            define_tariff(
                store,
                as_isp(),
                DefineTariff(
                    service_type="internet",
                    name=f"Fibre {n}",
                    wholesale_price=Decimal("15.00"),
                    currency="USD",
                    regions=["lagos"],
                ),
            )
        )["tariff_id"]
        for n in (1, 2)
    ]

    assert numbers == [1, 2]
    assert event_names(events_since(store, 0)) == [
        "Counter.Created",
        "Counter.Taken",
        "Tariff.Created",
        "Counter.Taken",
        "Tariff.Created",
    ]


def test_a_tariff_is_authorized_only_in_the_regions_it_is_sold_in(store) -> None:
    reseller = a_reseller(store)
    defined = define_tariff(
        store,
        as_isp(),
        DefineTariff(
            service_type="voice",
            name="Voice",
            wholesale_price=Decimal("5.00"),
            currency="USD",
            regions=["lagos", "abuja"],
        ),
    )
    tariff = body(defined)["tariff_id"]

    authorized = authorize_tariff(
        store, as_isp(), reseller.number, AuthorizeTariff(tariff_id=tariff, regions=["abuja"])
    )
    with pytest.raises(Unprocessable, match="not sold in") as refused:
        authorize_tariff(
            store, as_isp(), reseller.number, AuthorizeTariff(tariff_id=tariff, regions=["kano"])
        )

    assert body(authorized)["authorized_tariffs"] == {str(tariff): ["abuja"]}
    assert refused.value.field == "regions"


def test_a_reseller_prices_a_tariff_with_a_markup_and_the_quote_applies_it(store) -> None:
    reseller = a_reseller(store)
    tariff = a_tariff(store, reseller.number, price="20.00")

    priced = set_pricing(
        store,
        as_reseller(reseller.number),
        SetPricing(
            service_type="internet",
            tariff_id=tariff,
            markup_type="percent",
            markup_value=Decimal("25"),
            effective_from=date(2025, 1, 1),
        ),
    )
    shown = quote(store, as_reseller(reseller.number), tariff, date(2025, 2, 1), 0, "person", None)

    assert priced.status_code == 201
    assert len(body(priced)["rules"]) == 1
    assert (shown["wholesale"], shown["retail"]) == ("20.00", "25.00")


def test_pricing_a_tariff_not_authorized_for_the_reseller_is_not_found(store) -> None:
    seller = a_reseller(store)
    other = a_reseller(store)
    tariff = a_tariff(store, other.number)

    with pytest.raises(NotFound):
        set_pricing(
            store,
            as_reseller(seller.number),
            SetPricing(
                service_type="internet",
                tariff_id=tariff,
                markup_type="fixed",
                markup_value=Decimal("2"),
                effective_from=date(2025, 1, 1),
            ),
        )


def test_a_service_is_added_pending_and_attached_to_its_customer(store) -> None:
    reseller = a_reseller(store)
    tariff = a_tariff(store, reseller.number)
    customer_id = a_customer(store, reseller.number)
    before = head(store)

    added = add_service(
        store, as_reseller(reseller.number, Role.MANAGER), customer_id, AddService(tariff_id=tariff)
    )

    service = body(added)
    assert added.status_code == 201
    assert (service["status"], service["tariff_id"]) == ("pending", tariff)
    assert event_names(events_since(store, before))[:2] == [
        "Customer.ServiceAttached",
        "CustomerService.Added",
    ]
    customer = store.repository.get(customer_id)
    assert isinstance(customer, Customer)
    assert [str(s) for s in customer.service_ids] == [service["service_id"]]


def test_a_tariff_the_reseller_may_not_sell_cannot_be_added(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)
    unauthorized = body(
        define_tariff(
            store,
            as_isp(),
            DefineTariff(
                service_type="internet", name="x", wholesale_price=Decimal(1), currency="USD"
            ),
        )
    )["tariff_id"]
    before = head(store)

    with pytest.raises(NotFound, match="tariff not found"):
        add_service(
            store, as_reseller(reseller.number), customer_id, AddService(tariff_id=unauthorized)
        )

    assert head(store) == before


def test_a_service_is_activated_then_suspended(store) -> None:
    reseller = a_reseller(store)
    tariff = a_tariff(store, reseller.number)
    service_id = a_service(store, reseller.number, a_customer(store, reseller.number), tariff)

    active = change_service_status(
        store, as_reseller(reseller.number), service_id, ChangeServiceStatus(status="active")
    )
    suspended = change_service_status(
        store,
        as_reseller(reseller.number),
        service_id,
        ChangeServiceStatus(status="suspended", reason="abuse report"),
    )

    assert body(active)["review_required"] is False
    assert body(suspended)["status"] == "suspended"
    service = store.repository.get(service_id)
    assert isinstance(service, CustomerService)
    assert [h["status"] for h in service.history] == ["pending", "active", "suspended"]


def test_a_user_may_not_suspend_a_service(store) -> None:
    reseller = a_reseller(store)
    tariff = a_tariff(store, reseller.number)
    service_id = a_service(store, reseller.number, a_customer(store, reseller.number), tariff)
    change_service_status(
        store, as_reseller(reseller.number), service_id, ChangeServiceStatus(status="active")
    )

    with pytest.raises(Forbidden, match="service_suspend"):
        change_service_status(
            store,
            as_reseller(reseller.number, Role.USER),
            service_id,
            ChangeServiceStatus(status="suspended"),
        )

    assert store.repository.get(service_id).status == "active"


def test_activations_are_refused_at_the_credit_limit_when_the_policy_restricts(store) -> None:
    reseller = a_reseller(store, credit_limit="100.00")
    tariff = a_tariff(store, reseller.number)
    service_id = a_service(store, reseller.number, a_customer(store, reseller.number), tariff)
    change_credit_policy(
        store, as_isp(), reseller.number, ChangeCreditPolicy(existing_services="restrict")
    )
    record_charge(
        store,
        as_isp(),
        reseller.number,
        RecordCharge(amount=Decimal("100.00"), currency="USD", description="wholesale"),
    )
    before = head(store)

    with pytest.raises(Conflict, match="restricted") as refused:
        change_service_status(
            store, as_reseller(reseller.number), service_id, ChangeServiceStatus(status="active")
        )

    assert refused.value.field == "credit_limit"
    assert head(store) == before
