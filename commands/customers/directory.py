"""The customers a reseller has registered, read from the event store itself (not a
projection), so that a command sees a customer registered a moment ago.

The scan reads only `Customer.Registered` events (their topics come from the event class) and
starts after the reseller's own first event, found by the store's originator index: no
customer of a reseller is registered before the reseller exists, so the log before it is
never read.
"""

from __future__ import annotations

from uuid import UUID

from commands.positions import recorded_position
from commands.runner import Store
from domain.customers.customer import Customer
from domain.ledger.topics import topics_of
from domain.partners.reseller import reseller_id

CUSTOMER_TOPICS = topics_of(Customer.Registered)
SCAN_PAGE = 1000


def registered_customers(store: Store, reseller_number: int, limit: int) -> list[UUID]:
    """The reseller's customers in registration order; at most `limit` + 1 of them, so a
    caller can tell that there are more than `limit`."""
    found: list[UUID] = []
    # An unknown reseller (no first event) is scanned from the start, as before.
    position = recorded_position(store, reseller_id(reseller_number)) or 0
    while notifications := store.recorder.select_notifications(
        start=position, limit=SCAN_PAGE, topics=CUSTOMER_TOPICS, inclusive_of_start=False
    ):
        for notification in notifications:
            registered = store.mapper.to_domain_event(notification)
            if getattr(registered, "reseller_number", None) == reseller_number:
                found.append(registered.originator_id)
                if len(found) > limit:
                    return found
        position = notifications[-1].id
    return found
