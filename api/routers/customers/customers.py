"""Customers: seed §3 under /reseller/api/customers."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Response

from api.deps import (
    READ_WAIT_MS,
    Context,
    CurrentPrincipal,
    ExactJSONRoute,
    IfMatch,
    ReadConnection,
    Services,
    WaitTimeout,
    command_response,
    parse_uuid,
    wait_until,
)
from api.schemas import PROBLEMS, CustomerOut, CustomerPageOut
from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    EditCustomerProfile,
    change_customer_status,
    create_customer,
    edit_customer_profile,
)
from commands.errors import NotFound
from domain.access.roles import Permission
from domain.catalogue.tariffs import SERVICE_TYPES
from projections.customers.customers import (
    CustomerFilters,
    CustomersProjector,
    get_customer,
    list_customers,
)

router = APIRouter(prefix="/reseller/api/customers", tags=["customers"], route_class=ExactJSONRoute)
ServiceType = Literal["internet", "voice", "bundle", "value_added"]
Status = Annotated[str | None, Query(pattern="^(new|pending|active|suspended|inactive)$")]


@router.post("", status_code=201, response_model=CustomerOut, responses=PROBLEMS)
def create(command: CreateCustomer, context: Context, services: Services) -> Response:
    return command_response(create_customer(services.store, context, command))


@router.get("", response_model=CustomerPageOut, responses=PROBLEMS)
def list_(
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    status: Status = None,
    q: Annotated[str | None, Query(max_length=100, description="name, email or Portal ID")] = None,
    portal_id: Annotated[
        str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]+-[0-9]{6,}$")
    ] = None,
    city: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    service_type: Annotated[
        ServiceType | None, Query(description="has a service of this type, not terminated")
    ] = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0, alias="wait_for_position")] = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any]:
    number = principal.reseller_in_scope(reseller_id)
    principal.require(Permission.CUSTOMER_VIEW)
    limit = min(limit, services.config.page_size_max)
    reached = wait_until(
        services, conn, CustomersProjector, wait_for_position, number, wait_timeout_ms
    )
    filters = CustomerFilters(
        status=status, search=q, portal_id=portal_id, city=city, service_type=service_type
    )
    page = list_customers(
        conn, number, filters, limit, offset, only=sorted(principal.allowed_customer_ids)
    )
    return {
        "items": page.items,
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "position_reached": reached,
    }


@router.get("/{customer_id}", response_model=CustomerOut, responses=PROBLEMS)
def read(
    customer_id: str,
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any]:
    uid = parse_uuid(customer_id, "customer")
    if wait_for_position is not None:
        wait_until(
            services,
            conn,
            CustomersProjector,
            wait_for_position,
            principal.reseller_number,
            wait_timeout_ms,
        )
    row = get_customer(conn, str(uid))
    if row is None or not principal.sees_customer(
        row["reseller_id"], row["customer_id"], row["portal_id"]
    ):
        raise NotFound("customer not found")
    principal.require(Permission.CUSTOMER_VIEW)
    return row


@router.patch("/{customer_id}", response_model=CustomerOut, responses=PROBLEMS)
def edit_profile(
    customer_id: str,
    command: EditCustomerProfile,
    context: Context,
    services: Services,
    expected_version: IfMatch,
) -> Response:
    """Correct the profile: send only the fields to change (`null` clears an optional one).
    With `If-Match: <version>` a stale version is a 412 and changes nothing."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(
        edit_customer_profile(services.store, context, uid, command, expected_version)
    )


@router.post("/{customer_id}/status", response_model=CustomerOut, responses=PROBLEMS)
def change_status(
    customer_id: str,
    command: ChangeCustomerStatus,
    context: Context,
    services: Services,
    expected_version: IfMatch,
) -> Response:
    uid = parse_uuid(customer_id, "customer")
    return command_response(
        change_customer_status(services.store, context, uid, command, expected_version)
    )


if set(get_args(ServiceType)) != set(SERVICE_TYPES):
    raise RuntimeError("the service_type filter must list exactly the catalogue's service types")
