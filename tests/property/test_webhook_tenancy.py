"""Must-show 4 (issue 16), the routing half: over generated histories of events of many
resellers, a reseller's subscription never receives another tenant's event, and the payload is
the public schema, never the internal envelope's data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.webhooks.catalogue import CATALOGUE, PUBLIC_TYPE_OF, Subscriber, public_event, receives

INTERNAL = [*sorted(PUBLIC_TYPE_OF), "Customer.Registered", "Reseller.Created"]
events = st.lists(
    st.tuples(
        st.sampled_from(INTERNAL),
        st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
        st.dictionaries(st.sampled_from(["email", "first_name", "raised"]), st.text(max_size=5)),
    ),
    max_size=60,
)
subscribers = st.builds(
    Subscriber,
    st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    st.frozensets(st.sampled_from(sorted(CATALOGUE))),
)


@given(history=events, subscriber=subscribers)
def test_a_subscription_never_receives_another_tenants_event(history, subscriber):
    for position, (event_type, owner, data) in enumerate(history, start=1):
        if not receives(subscriber, event_type, owner):
            continue
        if subscriber.reseller is not None:
            assert owner == subscriber.reseller
        payload = public_event(event_type, position, owner, "agg", "2026-12-02T00:00:00Z", data)
        assert payload is not None and payload["type"] in subscriber.event_types
        assert "email" not in repr(payload["data"]) and "first_name" not in repr(payload)
