"""The customer list's filters (issue 13 must-show 3): over generated customers (cities in any
case, statuses, services of several types, some terminated, profile edits), every filter the
API answers equals the same filter computed in Python over the stored events."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.customers.customers import (
    ChangeCustomerStatus,
    EditCustomerProfile,
    change_customer_status,
    edit_customer_profile,
)
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    add_service,
    change_service_status,
)
from domain.access.roles import Role
from tests.support.builders import context, new_reseller
from tests.support.commission_world import customer as new_customer
from tests.support.commission_world import tariff

CITIES = ("Lagos", "LAGOS", "Abuja", "Kano", None)
SERVICE_TYPES = ("internet", "voice", "bundle")
STATUS_PATHS = {
    "new": (),
    "active": ("active",),
    "suspended": ("active", "suspended"),
    "inactive": ("inactive",),
}

customer_specs = st.lists(
    st.fixed_dictionaries(
        {
            "city": st.sampled_from(CITIES),
            "edited_city": st.none() | st.sampled_from(CITIES[:-1]),
            "status": st.sampled_from(sorted(STATUS_PATHS)),
            "services": st.lists(
                st.tuples(st.sampled_from(SERVICE_TYPES), st.booleans()), max_size=3
            ),
        }
    ),
    min_size=1,
    max_size=6,
)


def replayed_customer(store: Any, customer_id: UUID) -> dict[str, Any]:
    """City, status and Portal ID from the customer's own events, not from its aggregate."""
    state: dict[str, Any] = {}
    for stored in store.repository.event_store.get(customer_id):
        name = type(stored).__name__
        if name == "Registered":
            state = {"city": stored.city, "status": "new", "portal_id": stored.portal_id}
        elif name == "ProfileChanged" and "city" in stored.changes:
            state["city"] = stored.changes["city"][1]
        elif name == "StatusChanged":
            state["status"] = stored.to_status
    return state


def replayed_service(store: Any, service_id: UUID) -> tuple[str, str]:
    service_type, status = "", ""
    for stored in store.repository.event_store.get(service_id):
        name = type(stored).__name__
        if name == "Added":
            service_type, status = stored.service_type, "pending"
        elif name == "StatusChanged":
            status = stored.to_status
    return service_type, status


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=customer_specs)
def test_every_filter_equals_the_same_filter_over_the_events(client, store, specs) -> None:
    tenant = new_reseller(store, roles=(Role.ADMIN,), credit_limit="100000.00")
    tariffs = {kind: tariff(store, tenant.number, kind) for kind in SERVICE_TYPES}
    services: dict[UUID, list[UUID]] = {}
    for spec in specs:
        customer_id = new_customer(store, tenant.number)
        edit_customer_profile(store, context(), customer_id, EditCustomerProfile(city=spec["city"]))
        services[customer_id] = []
        for kind, terminated in spec["services"]:
            added = add_service(store, context(), customer_id, AddService(tariff_id=tariffs[kind]))
            assert added.status_code == 201, added.body
            service_id = UUID(json.loads(added.body)["service_id"])
            services[customer_id].append(service_id)
            if terminated:
                change_service_status(
                    store, context(), service_id, ChangeServiceStatus(status="terminated")
                )
        if spec["edited_city"] is not None:
            edit_customer_profile(
                store, context(), customer_id, EditCustomerProfile(city=spec["edited_city"])
            )
        for status in STATUS_PATHS[spec["status"]]:
            change_customer_status(
                store, context(), customer_id, ChangeCustomerStatus(status=status)
            )

    replayed = {cid: replayed_customer(store, cid) for cid in services}
    live_types = {
        cid: {
            kind
            for kind, status in (replayed_service(store, sid) for sid in sids)
            if status != "terminated"
        }
        for cid, sids in services.items()
    }
    head = store.recorder.max_notification_id()

    def listed(**filters: str) -> set[str]:
        answer = client.get(
            "/reseller/api/customers",
            params={"limit": 100, "wait_for_position": head, **filters},
            headers=tenant.headers(),
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["position_reached"] is True
        return {item["customer_id"] for item in answer.json()["items"]}

    def expected(keep: Any) -> set[str]:
        return {str(cid) for cid, state in replayed.items() if keep(cid, state)}

    assert listed() == expected(lambda cid, s: True)
    for city in ("lagos", "Abuja", "Kano"):
        assert listed(city=city) == expected(
            lambda cid, s, city=city: (s["city"] or "").lower() == city.lower()
        )
    for status in ("new", "active", "suspended", "inactive"):
        assert listed(status=status) == expected(lambda cid, s, st_=status: s["status"] == st_)
    for kind in SERVICE_TYPES:
        assert listed(service_type=kind) == expected(lambda cid, s, k=kind: k in live_types[cid])
        assert listed(service_type=kind, city="lagos") == expected(
            lambda cid, s, k=kind: k in live_types[cid] and (s["city"] or "").lower() == "lagos"
        )
    first = next(iter(replayed))
    assert listed(portal_id=replayed[first]["portal_id"]) == {str(first)}
