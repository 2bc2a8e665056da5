"""Sub-resellers (seed §11.1): create one under your reseller or one you manage, list them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import Context, ExactJSONRoute, IfMatch, Services, command_response
from api.schemas import PROBLEMS, ResellerOut
from commands.partners.resellers import (
    CreateSubReseller,
    ReconfigureSubReseller,
    create_sub_reseller,
    list_sub_resellers,
    reconfigure_sub_reseller,
)

router = APIRouter(prefix="/reseller/api", tags=["resellers"], route_class=ExactJSONRoute)


@router.post("/sub-resellers", status_code=201, response_model=ResellerOut, responses=PROBLEMS)
def create_sub(command: CreateSubReseller, context: Context, services: Services) -> Response:
    """Create a sub-reseller (seed §11.1 JSON) under your reseller or one you manage."""
    return command_response(create_sub_reseller(services.store, context, command))


@router.get("/sub-resellers", responses=PROBLEMS)
def list_sub(
    context: Context, services: Services, reseller_id: int | None = None
) -> list[dict[str, Any]]:
    return list_sub_resellers(services.store, context, reseller_id)


@router.patch("/sub-resellers/{reseller_id}", response_model=ResellerOut, responses=PROBLEMS)
def reconfigure(
    reseller_id: Annotated[int, Path(ge=1)],
    command: ReconfigureSubReseller,
    context: Context,
    services: Services,
    expected_version: IfMatch,
) -> Response:
    """Change a sub-reseller's terms (seed §11.2): commission percent, customer limit, allowed
    services, branding inheritance. Within its parent's bounds; never below what it already
    uses (409: more customers than the new limit, a sub-reseller of its own given more)."""
    return command_response(
        reconfigure_sub_reseller(services.store, context, reseller_id, command, expected_version)
    )
