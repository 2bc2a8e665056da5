"""A command with an Idempotency-Key, through the real runner: the same request again answers
the first response and applies nothing twice; the same key with another request is refused."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from commands.credit.credit_account import RecordCharge, record_charge
from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from commands.customers.erasure import EraseCustomer, erase_customer
from commands.errors import Gone, Unprocessable
from domain.credit.credit_account import credit_account_id
from domain.ledger.money import Money
from tests.support.in_memory import event_names, events_since, head

from .steps import a_customer, a_reseller, as_isp, as_reseller, body

ADA = CreateCustomer(customer_type="person", first_name="Ada", last_name="Obi")


def _charge(amount: str) -> RecordCharge:
    return RecordCharge(amount=Decimal(amount), currency="USD", description="wholesale")


def test_the_same_request_with_the_same_key_answers_the_first_response(store) -> None:
    reseller = a_reseller(store)
    first = create_customer(store, as_reseller(reseller.number, key="create-ada"), ADA)
    after_first = head(store)

    again = create_customer(store, as_reseller(reseller.number, key="create-ada"), ADA)

    assert again.replayed and not first.replayed
    assert (again.status_code, again.body) == (first.status_code, first.body)
    assert again.position == first.position
    assert head(store) == after_first
    assert event_names(events_since(store, 0)).count("Customer.Registered") == 1


def test_a_replayed_charge_is_not_charged_twice(store) -> None:
    reseller = a_reseller(store)

    for _ in range(3):
        record_charge(store, as_isp(key="charge-jan"), reseller.number, _charge("40.00"))

    account = store.repository.get(credit_account_id(reseller.number))
    assert account.balance == Money.of("40.00", "USD")


def test_the_same_key_with_a_different_request_is_refused_and_writes_nothing(store) -> None:
    reseller = a_reseller(store)
    record_charge(store, as_isp(key="charge-jan"), reseller.number, _charge("40.00"))
    before = head(store)

    with pytest.raises(Unprocessable, match="different request") as refused:
        record_charge(store, as_isp(key="charge-jan"), reseller.number, _charge("41.00"))

    assert refused.value.field == "Idempotency-Key"
    assert head(store) == before


def test_keys_are_scoped_to_the_caller(store) -> None:
    first = a_reseller(store)
    second = a_reseller(store)

    one = create_customer(store, as_reseller(first.number, key="same-key"), ADA)
    other = create_customer(store, as_reseller(second.number, key="same-key"), ADA)

    assert not other.replayed
    assert body(one)["reseller_id"] == first.number
    assert body(other)["reseller_id"] == second.number


def test_a_refused_command_keeps_no_record_of_its_key(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)
    with pytest.raises(Unprocessable):
        change_customer_status(
            store,
            as_reseller(reseller.number, key="move-1"),
            customer_id,
            ChangeCustomerStatus(status="suspended"),
        )

    moved = change_customer_status(
        store,
        as_reseller(reseller.number, key="move-1"),
        customer_id,
        ChangeCustomerStatus(status="active"),
    )

    assert not moved.replayed
    assert body(moved)["status"] == "active"


def test_a_key_must_be_short_and_printable(store) -> None:
    reseller = a_reseller(store)

    with pytest.raises(Unprocessable, match="printable characters") as refused:
        create_customer(store, as_reseller(reseller.number, key="k" * 1000), ADA)

    assert refused.value.field == "Idempotency-Key"


def test_a_stored_response_showing_erased_personal_data_is_gone(store) -> None:
    reseller = a_reseller(store)
    created = create_customer(store, as_reseller(reseller.number, key="create-ada"), ADA)
    customer_id = UUID(body(created)["customer_id"])
    change_customer_status(
        store,
        as_reseller(reseller.number),
        customer_id,
        ChangeCustomerStatus(status="inactive"),
    )
    erase_customer(store, store.personal_data, as_isp(), customer_id, EraseCustomer())

    with pytest.raises(Gone, match="erased") as gone:
        create_customer(store, as_reseller(reseller.number, key="create-ada"), ADA)

    assert gone.value.field == "Idempotency-Key"
