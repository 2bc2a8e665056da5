"""A customer's contacts, and the contact types: the ISP's own and resellers' approved ones."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import EmailStr, Field

from commands.customers.customers import load_customer_in_scope
from commands.errors import Conflict, NotFound
from commands.models import CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.customers.contacts import (
    CONTACT_ROLES,
    NOTICE_KINDS,
    ContactTypes,
    CustomContactTypes,
    CustomerContacts,
    available_types,
    contact_types_id,
    custom_contact_types_id,
    customer_contacts_id,
)
from domain.customers.customer import Customer
from domain.ledger.personal import reveal
from domain.partners.reseller import Reseller, reseller_id

ContactRole = Literal["primary", "billing", "technical", "emergency"]
NoticeKind = Literal[
    "welcome",
    "invoice_issued",
    "payment_received",
    "payment_failed",
    "service_suspended",
    "service_restored",
]


class SetContact(CommandModel):
    contact_type: str = Field(min_length=2, max_length=40, examples=["accountant"])
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    roles: list[ContactRole] = Field(default_factory=list, max_length=len(CONTACT_ROLES))
    notices: list[NoticeKind] = Field(
        default_factory=list,
        max_length=len(NOTICE_KINDS),
        description="Customer notices routed to this contact",
    )


class DefineContactType(CommandModel):
    name: str = Field(min_length=2, max_length=40, examples=["site_manager"])
    label: str = Field(min_length=1, max_length=80, examples=["Site manager"])


class RequestContactType(DefineContactType):
    reseller_id: int | None = Field(default=None, ge=1)


class DecideContactType(CommandModel):
    approved: bool


def isp_contact_types(store: Store) -> ContactTypes | None:
    if exists(store, contact_types_id()):
        return load(store, contact_types_id(), ContactTypes, "contact types")
    return None


def custom_contact_types(store: Store, reseller_number: int) -> CustomContactTypes:
    aggregate_id = custom_contact_types_id(reseller_number)
    if exists(store, aggregate_id):
        return load(store, aggregate_id, CustomContactTypes, "contact types")
    return CustomContactTypes(reseller_number)


def lineage(store: Store, reseller_number: int) -> list[int]:
    """The reseller and its ancestors, nearest first."""
    numbers: list[int] = []
    current: int | None = reseller_number
    while current is not None and len(numbers) < 16:
        numbers.append(current)
        current = load(store, reseller_id(current), Reseller, "reseller").parent_number
    return numbers


def types_for(store: Store, reseller_number: int) -> dict[str, str]:
    customs = [custom_contact_types(store, n) for n in lineage(store, reseller_number)]
    return available_types(isp_contact_types(store), customs)


def contacts_view(customer: Customer, contacts: CustomerContacts | None) -> dict[str, Any]:
    entries = [] if contacts is None else contacts.contacts.items()
    return {
        "customer_id": str(customer.id),
        "items": [
            {
                "contact_id": contact_id,
                "contact_type": contact["contact_type"],
                "name": reveal(contact["name"]),
                "email": reveal(contact["email"]),
                "phone": reveal(contact["phone"]),
                "roles": contact["roles"],
                "notices": contact["notices"],
            }
            for contact_id, contact in sorted(entries)
        ],
        "version": 0 if contacts is None else contacts.version,
    }


def _contacts_of(store: Store, customer: Customer) -> CustomerContacts | None:
    aggregate_id = customer_contacts_id(customer.id)
    if not exists(store, aggregate_id):
        return None
    return load(store, aggregate_id, CustomerContacts, "contacts")


def read_contacts(store: Store, context: RequestContext, customer_id: Any) -> dict[str, Any]:
    customer = load_customer_in_scope(store, context, customer_id)
    context.principal.require(Permission.CUSTOMER_VIEW)
    return contacts_view(customer, _contacts_of(store, customer))


def set_contact(
    store: Store,
    context: RequestContext,
    customer_id: Any,
    contact_id: str | None,
    command: SetContact,
) -> CommandResult:
    """Add a contact (no `contact_id`) or replace one as a whole."""

    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.CUSTOMER_EDIT)
        if customer.personal_data_erased or customer.status == "inactive":
            raise Conflict("the customer is closed: its contacts can't change", field="status")
        contacts = _contacts_of(store, customer) or CustomerContacts(customer.id)
        if contact_id is not None and contact_id not in contacts.contacts:
            raise NotFound("contact not found", field="contact_id")
        types = types_for(store, customer.reseller_number)
        contacts.set_contact(
            contact_id,
            contact_type=command.contact_type.strip().lower(),
            types_available=types,
            name=command.name,
            email=command.email,
            phone=command.phone,
            roles=list(command.roles),
            notices=list(command.notices),
        )
        return Outcome(
            [contacts],
            contacts_view(customer, contacts),
            customer.tenant_number,
            customer.reseller_number,
            201 if contact_id is None else 200,
            personal_subject=customer.id,
        )

    return run_command(
        store,
        context,
        handle,
        fingerprint("set_contact", customer_id, contact_id, command.model_dump(mode="json")),
    )


def remove_contact(
    store: Store, context: RequestContext, customer_id: Any, contact_id: str
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.CUSTOMER_EDIT)
        contacts = _contacts_of(store, customer)
        if contacts is None or contact_id not in contacts.contacts:
            raise NotFound("contact not found", field="contact_id")
        contacts.remove_contact(contact_id)
        return Outcome(
            [contacts],
            contacts_view(customer, contacts),
            customer.tenant_number,
            customer.reseller_number,
            personal_subject=customer.id,
        )

    return run_command(
        store, context, handle, fingerprint("remove_contact", customer_id, contact_id)
    )


def types_view(store: Store, reseller_number: int | None) -> dict[str, Any]:
    """The types a reseller may use and its own requests; without a reseller, the ISP's."""
    if reseller_number is not None:
        return _after(store, reseller_number, custom_contact_types(store, reseller_number))
    isp = isp_contact_types(store)
    available = dict(isp.types) if isp is not None else {}
    return {
        "types": [{"name": name, "label": label} for name, label in sorted(available.items())],
        "requests": [],
    }


def read_contact_types(
    store: Store, context: RequestContext, reseller_number: int | None
) -> dict[str, Any]:
    principal = context.principal
    principal.require(Permission.CUSTOMER_VIEW)
    if principal.is_isp_admin and reseller_number is None:
        return types_view(store, None)
    return types_view(store, principal.reseller_in_scope(reseller_number))


def define_contact_type(
    store: Store, context: RequestContext, command: DefineContactType
) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)

    def handle() -> Outcome:
        catalogue = isp_contact_types(store) or ContactTypes()
        catalogue.define(command.name, command.label)
        types = [{"name": n, "label": v} for n, v in sorted(catalogue.types.items())]
        return Outcome([catalogue], {"types": types, "requests": []}, 0, None, 201)

    return run_command(
        store, context, handle, fingerprint("define_contact_type", command.model_dump())
    )


def request_contact_type(
    store: Store, context: RequestContext, command: RequestContactType
) -> CommandResult:
    principal = context.principal
    number = principal.reseller_in_scope(command.reseller_id)
    principal.require(Permission.CUSTOMER_EDIT)

    def handle() -> Outcome:
        custom = custom_contact_types(store, number)
        name = command.name.strip().lower()
        refusal = custom.request_refusal(name, isp_contact_types(store))
        if refusal:
            raise Conflict(refusal, field="name")
        custom.request(name, command.label, isp_contact_types(store))
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        body = _after(store, number, custom)
        return Outcome([custom], body, reseller.root_number, number, 201)

    return run_command(
        store,
        context,
        handle,
        fingerprint("request_contact_type", number, command.model_dump(mode="json")),
    )


def _after(store: Store, number: int, custom: CustomContactTypes) -> dict[str, Any]:
    """The types view with this (not yet saved) aggregate's state."""
    lineage_customs = [custom] + [
        custom_contact_types(store, n) for n in lineage(store, number)[1:]
    ]
    available = available_types(isp_contact_types(store), lineage_customs)
    return {
        "types": [{"name": n, "label": v} for n, v in sorted(available.items())],
        "requests": [
            {"reseller_id": number, "name": name, **request}
            for name, request in sorted(custom.requests.items())
        ],
    }


def decide_contact_type(
    store: Store,
    context: RequestContext,
    reseller_number: int,
    name: str,
    command: DecideContactType,
) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        custom = custom_contact_types(store, reseller_number)
        status = custom.status_of(name)
        if status is None:
            raise NotFound(f"no request for contact type {name}", field="name")
        if status != "requested":
            raise Conflict(f"the request was already {status}", field="name")
        custom.decide(name, command.approved)
        body = _after(store, reseller_number, custom)
        return Outcome([custom], body, reseller.root_number, reseller_number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("decide_contact_type", reseller_number, name, command.approved),
    )
