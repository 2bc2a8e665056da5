"""Contact types (seed §15.1): the ISP's, and custom ones a reseller requests and the ISP
approves: /reseller/api/contact-types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS
from commands.customers.contacts import (
    DecideContactType,
    DefineContactType,
    RequestContactType,
    decide_contact_type,
    define_contact_type,
    read_contact_types,
    request_contact_type,
)

router = APIRouter(
    prefix="/reseller/api/contact-types", tags=["customers"], route_class=ExactJSONRoute
)


class ContactTypeOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    label: str


class ContactTypeRequestOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reseller_id: int
    name: str
    label: str
    status: str


class ContactTypesOut(BaseModel):
    """The types a reseller may use (the ISP's and its approved own, its parent's included)
    and its requests; for the ISP without `reseller_id`, the ISP's types."""

    model_config = ConfigDict(extra="forbid")

    types: list[ContactTypeOut]
    requests: list[ContactTypeRequestOut]


@router.get("", response_model=ContactTypesOut, responses=PROBLEMS)
def list_(
    context: Context, s: Services, reseller_id: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    return read_contact_types(s.store, context, reseller_id)


@router.post("", status_code=201, response_model=ContactTypesOut, responses=PROBLEMS)
def define(command: DefineContactType, context: Context, s: Services) -> Response:
    """The ISP adds a type every reseller has."""
    return command_response(define_contact_type(s.store, context, command))


@router.post("/requests", status_code=201, response_model=ContactTypesOut, responses=PROBLEMS)
def request(command: RequestContactType, context: Context, s: Services) -> Response:
    """A reseller asks for a type of its own; usable once the ISP approves it."""
    return command_response(request_contact_type(s.store, context, command))


@router.post(
    "/requests/{reseller_id}/{name}/decision", response_model=ContactTypesOut, responses=PROBLEMS
)
def decide(
    reseller_id: Annotated[int, Path(ge=1)],
    name: Annotated[str, Path(max_length=40)],
    command: DecideContactType,
    context: Context,
    s: Services,
) -> Response:
    return command_response(decide_contact_type(s.store, context, reseller_id, name, command))
