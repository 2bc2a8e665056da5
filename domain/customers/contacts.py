"""A customer's contacts (seed §3.1 "flexible contact management") and the contact types they
may have (seed §15.1: types the ISP defines for every reseller, plus custom types a reseller
requests and the ISP approves).

No type is mandatory and a customer may have any number of contacts. A contact has roles
(primary, billing, technical, ...) and says which notices go to it. Its name, e-mail and phone
are personal data of the customer: encrypted under the customer's key, erased with it.
"""

from __future__ import annotations

import re
from typing import TypedDict
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.customers.customer import EMAIL_PATTERN, PHONE_PATTERN
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.ids import derived_id
from domain.ledger.personal import PersonalText, personal

CONTACT_ROLES = ("primary", "billing", "technical", "emergency")
NOTICE_KINDS = (
    "welcome",
    "invoice_issued",
    "payment_received",
    "payment_failed",
    "service_suspended",
    "service_restored",
)
"""The customer notices a contact can be routed (the notification work sends them)."""
TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_CONTACTS = 50


def _type_name(name: str) -> str:
    name = name.strip().lower()
    if not TYPE_NAME.match(name):
        raise DomainError(
            "a contact type is 2-40 lowercase letters, digits or '_', starting with a letter",
            field="name",
        )
    return name


def _label(label: str) -> str:
    label = label.strip()
    if not 1 <= len(label) <= 80:
        raise DomainError("label must be 1-80 characters", field="label")
    return label


def contact_types_id() -> UUID:
    return derived_id("contact-types")


def custom_contact_types_id(reseller_number: int) -> UUID:
    return derived_id("custom-contact-types", reseller_number)


class ContactTypes(Aggregate):
    """The ISP's contact types: every reseller has them."""

    @staticmethod
    def create_id() -> UUID:
        return contact_types_id()

    def __init__(self) -> None:
        self.types: dict[str, str] = {}

    class TypeDefined(Aggregate.Event):
        name: str
        label: str

    @event(TypeDefined)
    def _define(self, name: str, label: str) -> None:
        self.types = {**self.types, name: label}

    def define(self, name: str, label: str) -> None:
        """Add (or relabel) a type every reseller has."""
        self._define(_type_name(name), _label(label))


class CustomContactTypes(Aggregate):
    """One reseller's requests for types of its own, and the ISP's decision on each (kept per
    reseller, so each reseller's history stays in its own tenant's stream)."""

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return custom_contact_types_id(reseller_number)

    def __init__(self, reseller_number: int) -> None:
        self.reseller_number = reseller_number
        self.requests: dict[str, dict[str, str]] = {}
        """name -> {"label": ..., "status": requested | approved | rejected}"""

    class Requested(Aggregate.Event):
        name: str
        label: str

    @event(Requested)
    def _request(self, name: str, label: str) -> None:
        self.requests = {**self.requests, name: {"label": label, "status": "requested"}}

    def request(self, name: str, label: str, isp_types: ContactTypes | None) -> None:
        name, label = _type_name(name), _label(label)
        refusal = self.request_refusal(name, isp_types)
        if refusal:
            raise InvalidTransition(refusal, field="name")
        self._request(name, label)

    def request_refusal(self, name: str, isp_types: ContactTypes | None) -> str | None:
        """Why this type can't be requested now (it exists or is pending), or None."""
        if isp_types is not None and name in isp_types.types:
            return f"{name} is already a contact type of every reseller"
        status = self.status_of(name)
        if status is not None and status != "rejected":
            return f"{name} was already requested ({status})"
        return None

    def status_of(self, name: str) -> str | None:
        request = self.requests.get(name)
        return None if request is None else request["status"]

    class Decided(Aggregate.Event):
        name: str
        approved: bool

    @event(Decided)
    def _decide(self, name: str, approved: bool) -> None:
        status = "approved" if approved else "rejected"
        self.requests = {**self.requests, name: {**self.requests[name], "status": status}}

    def decide(self, name: str, approved: bool) -> None:
        status = self.status_of(name)
        if status != "requested":
            raise InvalidTransition(f"there is no open request for {name} ({status})", field="name")
        self._decide(name, approved)

    def approved(self) -> dict[str, str]:
        return {n: r["label"] for n, r in self.requests.items() if r["status"] == "approved"}


def available_types(
    isp_types: ContactTypes | None, lineage: list[CustomContactTypes]
) -> dict[str, str]:
    """Type -> label for a reseller: the ISP's types, and the custom types approved for it or
    an ancestor (a sub-reseller inherits its parent's)."""
    types = dict(isp_types.types) if isp_types is not None else {}
    for custom in lineage:
        for name, label in custom.approved().items():
            types.setdefault(name, label)
    return types


def customer_contacts_id(customer_id: UUID) -> UUID:
    return derived_id("customer-contacts", customer_id)


def _optional(value: str | None, field: str, max_length: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_length:
        raise DomainError(f"{field} must be at most {max_length} characters", field=field)
    return value or None


def _choices(values: list[str], allowed: tuple[str, ...], field: str) -> list[str]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise DomainError(f"{unknown[0]} is not one of {', '.join(allowed)}", field=field)
    return sorted(set(values))


class Contact(TypedDict):
    contact_type: str
    name: PersonalText | None
    email: PersonalText | None
    phone: PersonalText | None
    roles: list[str]
    notices: list[str]


class CustomerContacts(Aggregate):
    """Every contact of one customer, keyed by the customer (so a customer's contacts change
    without touching the customer aggregate's stream)."""

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return customer_contacts_id(customer_id)

    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        self.contacts: dict[str, Contact] = {}

    class ContactSet(Aggregate.Event):
        """A contact added or replaced as a whole (the edit states every value it now has)."""

        contact_id: str
        contact_type: str
        contact_name: PersonalText | None
        """Not `name`: the audit trail withholds personal fields by name, `contact_name` is one."""
        email: PersonalText | None
        phone: PersonalText | None
        roles: list[str]
        notices: list[str]

    @event(ContactSet)
    def _set(
        self,
        contact_id: str,
        contact_type: str,
        contact_name: PersonalText | None,
        email: PersonalText | None,
        phone: PersonalText | None,
        roles: list[str],
        notices: list[str],
    ) -> None:
        contact: Contact = {
            "contact_type": contact_type,
            "name": contact_name,
            "email": email,
            "phone": phone,
            "roles": roles,
            "notices": notices,
        }
        self.contacts = {**self.contacts, contact_id: contact}

    def set_contact(
        self,
        contact_id: str | None,
        *,
        contact_type: str,
        types_available: dict[str, str],
        name: str | None,
        email: str | None,
        phone: str | None,
        roles: list[str],
        notices: list[str],
    ) -> str:
        """Add a contact (no id) or replace one; returns its id."""
        if contact_id is None:
            if len(self.contacts) >= MAX_CONTACTS:
                raise InvalidTransition(
                    f"a customer has at most {MAX_CONTACTS} contacts", field="contact_id"
                )
            contact_id = str(uuid4())
        elif contact_id not in self.contacts:
            raise DomainError("contact not found", field="contact_id")
        if contact_type not in types_available:
            raise DomainError(
                f"{contact_type} is not a contact type of this reseller"
                f" ({', '.join(sorted(types_available)) or 'none defined'})",
                field="contact_type",
            )
        name = _optional(name, "name", 200)
        email = _optional(email, "email", 254)
        if email is not None:
            email = email.lower()
            if not EMAIL_PATTERN.match(email):
                raise DomainError("email is not a valid address", field="email")
        phone = _optional(phone, "phone", 20)
        if phone is not None and not PHONE_PATTERN.match(phone):
            raise DomainError("phone must be digits, spaces, ()- and an optional +", field="phone")
        if not (name or email or phone):
            raise DomainError("a contact needs a name, an e-mail or a phone", field="name")
        notices = _choices(notices, NOTICE_KINDS, "notices")
        if notices and not (email or phone):
            raise DomainError("notices need an e-mail or a phone to go to", field="notices")
        subject = self.customer_id
        self._set(
            contact_id,
            contact_type,
            personal(subject, name),
            personal(subject, email),
            personal(subject, phone),
            _choices(roles, CONTACT_ROLES, "roles"),
            notices,
        )
        return contact_id

    class ContactRemoved(Aggregate.Event):
        contact_id: str

    @event(ContactRemoved)
    def _remove(self, contact_id: str) -> None:
        self.contacts = {k: v for k, v in self.contacts.items() if k != contact_id}

    def remove_contact(self, contact_id: str) -> None:
        if contact_id not in self.contacts:
            raise DomainError("contact not found", field="contact_id")
        self._remove(contact_id)

    def routed(self, notice: str) -> list[str]:
        """Ids of the contacts a notice goes to: those routed it, else the primary contacts."""
        chosen = [cid for cid, c in self.contacts.items() if notice in c["notices"]]
        if chosen:
            return sorted(chosen)
        return sorted(cid for cid, c in self.contacts.items() if "primary" in c["roles"])
