"""A customer's contacts (seed §3.1): /reseller/api/customers/{customer_id}/contacts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.schemas import PROBLEMS
from commands.customers.contacts import SetContact, read_contacts, remove_contact, set_contact

router = APIRouter(
    prefix="/reseller/api/customers/{customer_id}/contacts",
    tags=["customers"],
    route_class=ExactJSONRoute,
)


class ContactOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: str
    contact_type: str
    name: str | None
    email: str | None
    phone: str | None
    roles: list[str]
    notices: list[str]


class ContactsOut(BaseModel):
    """Every contact of the customer (each write answers the whole list)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str
    items: list[ContactOut]
    version: int


@router.get("", response_model=ContactsOut, responses=PROBLEMS)
def list_(customer_id: str, context: Context, s: Services) -> dict[str, Any]:
    return read_contacts(s.store, context, parse_uuid(customer_id, "customer"))


@router.post("", status_code=201, response_model=ContactsOut, responses=PROBLEMS)
def add(customer_id: str, command: SetContact, context: Context, s: Services) -> Response:
    """Add a contact of any type the reseller has (`GET /reseller/api/contact-types`)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(set_contact(s.store, context, uid, None, command))


@router.put("/{contact_id}", response_model=ContactsOut, responses=PROBLEMS)
def replace(
    customer_id: str, contact_id: str, command: SetContact, context: Context, s: Services
) -> Response:
    """Replace the contact as a whole (fields left out are cleared)."""
    uid = parse_uuid(customer_id, "customer")
    contact = str(parse_uuid(contact_id, "contact"))
    return command_response(set_contact(s.store, context, uid, contact, command))


@router.delete("/{contact_id}", response_model=ContactsOut, responses=PROBLEMS)
def remove(customer_id: str, contact_id: str, context: Context, s: Services) -> Response:
    uid = parse_uuid(customer_id, "customer")
    contact = str(parse_uuid(contact_id, "contact"))
    return command_response(remove_contact(s.store, context, uid, contact))
