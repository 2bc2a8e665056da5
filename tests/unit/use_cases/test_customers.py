"""Use cases of the customers context: registration, the status lifecycle, erasure."""

from __future__ import annotations

import pytest

from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    EditCustomerProfile,
    change_customer_status,
    create_customer,
    edit_customer_profile,
)
from commands.customers.erasure import EraseCustomer, erase_customer
from commands.errors import Forbidden, NotFound, PreconditionFailed, Unprocessable
from domain.access.roles import Role
from domain.customers.customer import Customer
from domain.partners.reseller import Reseller, reseller_id
from tests.support.in_memory import event_names, events_since, head

from .steps import a_customer, a_reseller, as_isp, as_reseller, body


def test_a_reseller_registers_customers_with_portal_ids_from_its_own_counter(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    first = create_customer(
        store,
        as_reseller(reseller.number, Role.MANAGER),
        CreateCustomer(
            customer_type="person",
            first_name="John",
            last_name="Doe",
            email="John@Example.com",
            phone="+1234567890",
        ),
    )
    second = a_customer(store, reseller.number)

    view = body(first)
    assert first.status_code == 201
    assert view["portal_id"] == f"{reseller.code}-000001"
    assert view["email"] == "john@example.com"
    assert view["status"] == "new"
    assert event_names(events_since(store, before))[:2] == [
        "Reseller.CustomerNumberTaken",
        "Customer.Registered",
    ]
    assert store.repository.get(second).portal_id == f"{reseller.code}-000002"


def test_a_customers_personal_data_is_stored_encrypted_only(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    customer_id = a_customer(store, reseller.number, email="secret.person@example.com")

    stored = store.recorder.select_notifications(start=before, limit=10, inclusive_of_start=False)
    assert stored, "the registration was recorded"
    assert all(b"secret.person" not in n.state for n in stored)
    assert store.repository.get(customer_id).email.text == "secret.person@example.com"


def test_a_readonly_member_cannot_register_a_customer(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    with pytest.raises(Forbidden, match="customer_create"):
        create_customer(
            store,
            as_reseller(reseller.number, Role.READONLY),
            CreateCustomer(customer_type="company", company_name="Acme Ltd"),
        )

    assert head(store) == before


def test_a_customer_moves_through_its_lifecycle(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)

    active = change_customer_status(
        store, as_reseller(reseller.number), customer_id, ChangeCustomerStatus(status="active")
    )
    suspended = change_customer_status(
        store,
        as_reseller(reseller.number),
        customer_id,
        ChangeCustomerStatus(status="suspended", reason="unpaid"),
    )

    assert body(active)["status"] == "active"
    assert body(suspended)["status"] == "suspended"
    changes = [e for e in events_since(store, 0) if isinstance(e, Customer.StatusChanged)]
    assert [(e.from_status, e.to_status, e.reason) for e in changes] == [
        ("new", "active", None),
        ("active", "suspended", "unpaid"),
    ]


def test_a_transition_the_lifecycle_forbids_is_refused_and_writes_nothing(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)
    before = head(store)

    with pytest.raises(Unprocessable, match="cannot go from new to suspended") as refused:
        change_customer_status(
            store,
            as_reseller(reseller.number),
            customer_id,
            ChangeCustomerStatus(status="suspended"),
        )

    assert refused.value.field == "status"
    assert head(store) == before


def test_a_stale_if_match_version_is_refused(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)

    with pytest.raises(PreconditionFailed, match="version 1"):
        change_customer_status(
            store,
            as_reseller(reseller.number),
            customer_id,
            ChangeCustomerStatus(status="active"),
            expected_version=7,
        )


def test_closing_a_customer_frees_a_place_under_the_resellers_customer_limit(store) -> None:
    reseller = a_reseller(store, customer_limit=5)
    customer_id = a_customer(store, reseller.number)
    open_before = store.repository.get(reseller_id(reseller.number)).open_customers

    change_customer_status(
        store, as_reseller(reseller.number), customer_id, ChangeCustomerStatus(status="inactive")
    )

    after = store.repository.get(reseller_id(reseller.number))
    assert isinstance(after, Reseller)
    assert after.open_customers == open_before - 1


def test_another_resellers_customer_is_not_found(store) -> None:
    owner = a_reseller(store)
    stranger = a_reseller(store)
    customer_id = a_customer(store, owner.number)

    with pytest.raises(NotFound):
        change_customer_status(
            store, as_reseller(stranger.number), customer_id, ChangeCustomerStatus(status="active")
        )


def test_erasing_a_closed_customer_deletes_its_key_and_keeps_its_events(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number, email="gone@example.com")
    change_customer_status(
        store, as_reseller(reseller.number), customer_id, ChangeCustomerStatus(status="inactive")
    )
    before = head(store)

    erased = erase_customer(
        store, store.personal_data, as_isp(), customer_id, EraseCustomer(reason="ER-1")
    )

    assert body(erased)["personal_data_erased"] is True
    assert event_names(events_since(store, before)) == ["Customer.PersonalDataErased"]
    assert store.personal_data.is_erased(customer_id)
    reloaded = store.repository.get(customer_id)
    assert reloaded.email.text is None
    assert reloaded.first_name.text is None
    # The registration is still in the log, unreadable rather than edited.
    assert event_names(events_since(store, 0)).count("Customer.Registered") == 1


def test_an_open_customer_cannot_be_erased(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)
    before = head(store)

    with pytest.raises(Unprocessable, match="close the customer"):
        erase_customer(store, store.personal_data, as_isp(), customer_id, EraseCustomer())

    assert head(store) == before
    assert not store.personal_data.is_erased(customer_id)
    assert store.repository.get(customer_id).first_name.text == "Ada"


def test_a_profile_edit_is_one_event_with_before_and_after_encrypted(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number, email="old.address@example.com")
    before = head(store)

    edited = edit_customer_profile(
        store,
        as_reseller(reseller.number, Role.MANAGER),
        customer_id,
        EditCustomerProfile.model_validate({"email": "New.Address@example.com", "city": "Abuja"}),
        expected_version=1,
    )

    assert body(edited)["email"] == "new.address@example.com"
    assert event_names(events_since(store, before)) == ["Customer.ProfileChanged"]
    stored = store.recorder.select_notifications(start=before, limit=10, inclusive_of_start=False)
    assert all(b"new.address" not in n.state and b"old.address" not in n.state for n in stored)
    loaded = store.repository.get(customer_id)
    assert (loaded.email.text, loaded.city, loaded.version) == (
        "new.address@example.com",
        "Abuja",
        2,
    )


def test_a_profile_edit_that_would_leave_a_person_nameless_writes_nothing(store) -> None:
    reseller = a_reseller(store)
    customer_id = a_customer(store, reseller.number)
    before = head(store)

    with pytest.raises(Unprocessable, match="first_name and last_name"):
        edit_customer_profile(
            store,
            as_reseller(reseller.number),
            customer_id,
            EditCustomerProfile.model_validate({"first_name": None}),
        )
    assert events_since(store, before) == []
