"""A reseller's registered customers come from the event store, in registration order, without
another reseller's, and bounded."""

from commands.customers.directory import registered_customers
from infra.event_store import LedgerStore

from .steps import a_customer, a_reseller


def test_a_resellers_customers_are_its_own_in_registration_order(store: LedgerStore) -> None:
    first = a_reseller(store)
    before = a_customer(store, first.number)
    second = a_reseller(store)
    other = a_customer(store, second.number)
    after = a_customer(store, first.number)
    assert registered_customers(store, first.number, 10) == [before, after]
    assert registered_customers(store, second.number, 10) == [other]
    assert registered_customers(store, first.number, 1) == [before, after]  # more than 1
    assert registered_customers(store, 999_999, 10) == []
