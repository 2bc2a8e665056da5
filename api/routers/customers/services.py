"""A customer's services: adding them, their status, their tariff, and the reseller's list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
)
from api.schemas import PROBLEMS
from commands.customers import services
from domain.access.roles import Permission
from projections.billing import billing as billing_rows

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


class ServiceChangeOut(BaseModel):
    on: str
    status: str
    tariff_id: int


class ServiceOut(BaseModel):
    """A customer's service: adding one answers the shape the customer's service list holds."""

    service_id: str
    customer_id: str
    reseller_id: int
    tariff_id: int
    service_type: str
    status: str
    history: list[ServiceChangeOut]
    version: int


class ServiceStatusOut(ServiceOut):
    review_required: bool
    """The reseller's credit account is restricted: the change waits for a review."""


@router.post(
    "/customers/{customer_id}/services",
    status_code=201,
    response_model=ServiceOut,
    responses=PROBLEMS,
)
def add_service(
    customer_id: str, command: services.AddService, context: Context, s: Services
) -> Response:
    uid = parse_uuid(customer_id, "customer")
    return command_response(services.add_service(s.store, context, uid, command))


@router.get("/customers/{customer_id}/services", responses=PROBLEMS)
def customer_services(customer_id: str, context: Context, s: Services) -> list[dict[str, Any]]:
    return services.list_services(s.store, context, parse_uuid(customer_id, "customer"))


@router.post("/services/{service_id}/status", response_model=ServiceStatusOut, responses=PROBLEMS)
def service_status(
    service_id: str, command: services.ChangeServiceStatus, context: Context, s: Services
) -> Response:
    """Activate, hold/suspend, limit, restore or terminate a service."""
    uid = parse_uuid(service_id, "service")
    return command_response(services.change_service_status(s.store, context, uid, command))


@router.post("/services/{service_id}/tariff", response_model=ServiceOut, responses=PROBLEMS)
def service_tariff(
    service_id: str, command: services.ChangeTariff, context: Context, s: Services
) -> Response:
    """Upgrade or downgrade from a date; the period is prorated across both tariffs."""
    uid = parse_uuid(service_id, "service")
    return command_response(services.change_tariff(s.store, context, uid, command))


@router.get("/services", responses=PROBLEMS)
def services_list(
    context: Context,
    s: Services,
    conn: ReadConnection,
    status: Literal["pending", "active", "suspended", "limited", "terminated"] | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """The reseller's services (filter: status)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.CUSTOMER_VIEW)
    limit = min(limit, s.config.page_size_max)
    return billing_rows.list_services(conn, number, status, limit, offset)
