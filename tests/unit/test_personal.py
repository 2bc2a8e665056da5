"""Personal data as a value: never shown by accident, erased on request, only when closed."""

import uuid

import pytest

from domain.customers.customer import Customer
from domain.ledger.errors import InvalidTransition
from domain.ledger.personal import ERASED, PersonalText, personal, reveal


def customer() -> Customer:
    return Customer.register(
        reseller_number=1,
        tenant_number=1,
        portal_id="ABC-000001",
        customer_type="person",
        first_name="Ada",
        last_name="Lovelace",
        company_name=None,
        email="Ada@Example.com",
        phone="+44 20 7946 0000",
        address="12 Analytical St",
        city="London",
        portal_credentials_requested=False,
    )


def test_personal_text_never_shows_its_text_in_repr_or_str():
    value = PersonalText(uuid.uuid4(), "ada@example.com")
    assert "ada" not in repr(value) and "ada" not in str(value) and "ada" not in f"{value}"
    assert reveal(value) == "ada@example.com" and reveal(None) is None
    assert personal(uuid.uuid4(), None) is None


def test_a_customers_personal_fields_belong_to_the_customer():
    c = customer()
    for field in ("first_name", "last_name", "email", "phone", "address"):
        value = getattr(c, field)
        assert isinstance(value, PersonalText) and value.subject_id == c.id
    assert c.email.text == "ada@example.com"
    assert c.company_name is None and c.city == "London"


def test_only_a_closed_customer_is_erased_and_only_once():
    c = customer()
    with pytest.raises(InvalidTransition) as refused:
        c.erase_personal_data("request 1")
    assert refused.value.field == "status" and not c.personal_data_erased
    c.change_status("inactive", None)
    assert c.erase_personal_data("request 1") is True
    assert c.erase_personal_data("request 1") is False
    assert len([e for e in c.collect_events() if isinstance(e, Customer.PersonalDataErased)]) == 1
    assert c.email.erased and reveal(c.first_name) == ERASED and c.company_name is None


class KeysOf:
    """An unsealer over a dict of subject -> text (None once erased): pure logic only."""

    def __init__(self, texts):
        self.texts, self.forgotten = texts, []

    def unseal(self, subject_id, ciphertext):
        return self.texts.get(subject_id)

    def forget(self, subject_id):
        self.forgotten.append(subject_id)


def envelope(event_type, aggregate_id, data):
    from projections.envelope import Envelope

    return Envelope(1, str(aggregate_id), 1, event_type, "t", "2026-01-01", 1, 1, {}, data)


def test_envelopes_open_sealed_values_to_plaintext_or_the_placeholder():
    from projections.personal import open_envelope, sealed

    ada, bob = uuid.uuid4(), uuid.uuid4()
    keys = KeysOf({ada: "Ada"})
    data = {"first_name": sealed(ada, "v1.x"), "changes": {"email": [None, sealed(bob, "v1.y")]}}
    opened = open_envelope(envelope("Customer.Registered", ada, data), keys)
    assert opened.data == {"first_name": "Ada", "changes": {"email": [None, ERASED]}}
    plain = envelope("Customer.StatusChanged", ada, {"to_status": "active", "n": [1]})
    assert open_envelope(plain, keys) is plain  # nothing sealed: nothing copied
    open_envelope(envelope("Customer.PersonalDataErased", ada, {"reason": None}), keys)
    assert keys.forgotten == [ada]
