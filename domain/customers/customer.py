"""Customers of a reseller, with the seed's status lifecycle.

Statuses (seed, "Terminology Consistency"): new, pending, active, suspended, inactive.
Inactive is permanent. The Portal ID is handed out by the owning reseller.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.personal import PersonalText, erased, personal

CUSTOMER_TYPES = ("person", "company")
STATUSES = ("new", "pending", "active", "suspended", "inactive")

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"pending", "active", "inactive"}),
    "pending": frozenset({"active", "inactive"}),
    "active": frozenset({"suspended", "inactive"}),
    "suspended": frozenset({"active", "inactive"}),
    "inactive": frozenset(),
}

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{5,20}$")


def _text(value: str | None, field: str, max_length: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_length:
        raise DomainError(f"{field} must be at most {max_length} characters", field=field)
    return value or None


PROFILE_FIELDS = (
    "customer_type",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "address",
    "city",
)
"""The seed's §3.2 step-1 fields: what a profile edit may change."""
PERSONAL_PROFILE_FIELDS = frozenset(PROFILE_FIELDS) - {"customer_type", "city"}
"""Encrypted under the customer's own key, erased with it."""


def validated_profile(fields: dict[str, str | None]) -> dict[str, str | None]:
    """A whole profile, trimmed and checked: the rules for registering and for every edit."""
    customer_type = fields["customer_type"]
    if customer_type not in CUSTOMER_TYPES:
        raise DomainError("customer_type must be 'person' or 'company'", field="customer_type")
    first_name = _text(fields["first_name"], "first_name", 100)
    last_name = _text(fields["last_name"], "last_name", 100)
    company_name = _text(fields["company_name"], "company_name", 200)
    if customer_type == "person" and not (first_name and last_name):
        raise DomainError("a person needs first_name and last_name", field="last_name")
    if customer_type == "company" and not (company_name or last_name):
        raise DomainError("a company needs company_name", field="company_name")
    email = _text(fields["email"], "email", 254)
    if email is not None:
        email = email.lower()
        if not EMAIL_PATTERN.match(email):
            raise DomainError("email is not a valid address", field="email")
    phone = _text(fields["phone"], "phone", 20)
    if phone is not None and not PHONE_PATTERN.match(phone):
        raise DomainError("phone must be digits, spaces, ()- and an optional +", field="phone")
    return {
        "customer_type": customer_type,
        "first_name": first_name,
        "last_name": last_name,
        "company_name": company_name,
        "email": email,
        "phone": phone,
        "address": _text(fields["address"], "address", 300),
        "city": _text(fields["city"], "city", 100),
    }


class Customer(Aggregate):
    class Registered(Aggregate.Created):
        reseller_number: int
        tenant_number: int
        portal_id: str
        customer_type: str
        first_name: PersonalText | None
        last_name: PersonalText | None
        company_name: PersonalText | None
        email: PersonalText | None
        phone: PersonalText | None
        address: PersonalText | None
        city: str | None
        portal_credentials_requested: bool

    @event(Registered)
    def __init__(
        self,
        reseller_number: int,
        tenant_number: int,
        portal_id: str,
        customer_type: str,
        first_name: PersonalText | None,
        last_name: PersonalText | None,
        company_name: PersonalText | None,
        email: PersonalText | None,
        phone: PersonalText | None,
        address: PersonalText | None,
        city: str | None,
        portal_credentials_requested: bool,
    ) -> None:
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.portal_id = portal_id
        self.customer_type = customer_type
        self.first_name = first_name
        self.last_name = last_name
        self.company_name = company_name
        self.email = email
        self.phone = phone
        self.address = address
        self.city = city
        self.portal_credentials_requested = portal_credentials_requested
        self.status = "new"
        self.service_ids: list[UUID] = []
        self.billing_day = 1
        self.personal_data_erased = False

    @classmethod
    def register(
        cls,
        *,
        reseller_number: int,
        tenant_number: int,
        portal_id: str,
        customer_type: str,
        first_name: str | None,
        last_name: str | None,
        company_name: str | None,
        email: str | None,
        phone: str | None,
        address: str | None,
        city: str | None,
        portal_credentials_requested: bool,
    ) -> Customer:
        profile = validated_profile(
            {
                "customer_type": customer_type,
                "first_name": first_name,
                "last_name": last_name,
                "company_name": company_name,
                "email": email,
                "phone": phone,
                "address": address,
                "city": city,
            }
        )
        # The id is the data subject of the customer's personal data, so it is known up front.
        customer_id = uuid4()
        return cls._create(
            cls.Registered,
            id=customer_id,
            reseller_number=reseller_number,
            tenant_number=tenant_number,
            portal_id=portal_id,
            customer_type=profile["customer_type"],
            first_name=personal(customer_id, profile["first_name"]),
            last_name=personal(customer_id, profile["last_name"]),
            company_name=personal(customer_id, profile["company_name"]),
            email=personal(customer_id, profile["email"]),
            phone=personal(customer_id, profile["phone"]),
            address=personal(customer_id, profile["address"]),
            city=profile["city"],
            portal_credentials_requested=portal_credentials_requested,
        )

    def profile(self) -> dict[str, str | None]:
        """The current profile as plain values (personal ones decrypted, or None once erased)."""
        values: dict[str, str | None] = {}
        for name in PROFILE_FIELDS:
            value = getattr(self, name)
            values[name] = value.text if isinstance(value, PersonalText) else value
        return values

    class ProfileChanged(Aggregate.Event):
        """A correction of the profile: `changes` maps each changed field to [before, after]
        (personal values encrypted under the customer's key, like at registration)."""

        changes: dict[str, list[PersonalText | str | None]]

    @event(ProfileChanged)
    def _change_profile(self, changes: dict[str, list[PersonalText | str | None]]) -> None:
        for name, (_, after) in changes.items():
            setattr(self, name, after)

    def change_profile(self, edits: dict[str, str | None]) -> list[str]:
        """Apply the edited fields (a None clears one); the profile as a whole must stay valid.
        Returns the fields that changed: none means no event (the edit asked for what is)."""
        unknown = sorted(set(edits) - set(PROFILE_FIELDS))
        if unknown:
            raise DomainError(f"{unknown[0]} is not a profile field", field=unknown[0])
        if self.personal_data_erased:
            raise InvalidTransition(
                "the customer's personal data was erased: its profile can't be edited",
                field="customer_id",
            )
        if self.status == "inactive":
            raise InvalidTransition(
                "the customer is inactive (closed for good): its profile can't be edited",
                field="status",
            )
        current = self.profile()
        wanted = validated_profile({**current, **edits})
        changes: dict[str, list[PersonalText | str | None]] = {}
        for name in PROFILE_FIELDS:
            if wanted[name] == current[name]:
                continue
            if name in PERSONAL_PROFILE_FIELDS:
                changes[name] = [personal(self.id, current[name]), personal(self.id, wanted[name])]
            else:
                changes[name] = [current[name], wanted[name]]
        if changes:
            self._change_profile(changes)
        return list(changes)

    class StatusChanged(Aggregate.Event):
        from_status: str
        to_status: str
        reason: str | None

    @event(StatusChanged)
    def _change_status(self, from_status: str, to_status: str, reason: str | None) -> None:
        self.status = to_status

    def change_status(self, to_status: str, reason: str | None) -> None:
        if to_status not in STATUSES:
            raise DomainError(f"status must be one of {', '.join(STATUSES)}", field="status")
        if to_status not in ALLOWED_TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"a customer cannot go from {self.status} to {to_status}", field="status"
            )
        self._change_status(self.status, to_status, _text(reason, "reason", 500))

    @property
    def customer_id(self) -> UUID:
        return self.id

    class PersonalDataErased(Aggregate.Event):
        """The customer's personal data was erased (its key deleted). Carries no personal data."""

        reason: str | None

    @event(PersonalDataErased)
    def _erase_personal_data(self, reason: str | None) -> None:
        self.first_name = erased(self.first_name)
        self.last_name = erased(self.last_name)
        self.company_name = erased(self.company_name)
        self.email = erased(self.email)
        self.phone = erased(self.phone)
        self.address = erased(self.address)
        self.personal_data_erased = True

    def erase_personal_data(self, reason: str | None) -> bool:
        """Forget the customer's personal data; False when it already was (nothing to do).

        Only a closed (inactive) customer can be erased: an active one still needs its contact
        data to be served and billed. The reason is free text and must not hold personal data.
        """
        if self.personal_data_erased:
            return False
        if self.status != "inactive":
            raise InvalidTransition(
                f"close the customer (status inactive) before erasing it; it is {self.status}",
                field="status",
            )
        self._erase_personal_data(_text(reason, "reason", 500))
        return True

    class ServiceAttached(Aggregate.Event):
        service_id: UUID

    @event(ServiceAttached)
    def attach_service(self, service_id: UUID) -> None:
        self.service_ids = [*self.service_ids, service_id]

    class BillingCycleSet(Aggregate.Event):
        billing_day: int

    @event(BillingCycleSet)
    def _set_billing_cycle(self, billing_day: int) -> None:
        self.billing_day = billing_day

    def set_billing_cycle(self, billing_day: int) -> None:
        """Monthly cycles starting on this day of the month (1-28, so every month has it)."""
        if not 1 <= billing_day <= 28:
            raise DomainError("billing_day must be between 1 and 28", field="billing_day")
        self._set_billing_cycle(billing_day)


def cycle_period(billing_day: int, on: date) -> tuple[date, date]:
    """The monthly billing period, starting on `billing_day`, that contains `on`."""
    start = on.replace(day=billing_day)
    if on.day < billing_day:
        start = (start.replace(day=1) - timedelta(days=1)).replace(day=billing_day)
    following = (start.replace(day=1) + timedelta(days=32)).replace(day=billing_day)
    return start, following - timedelta(days=1)
