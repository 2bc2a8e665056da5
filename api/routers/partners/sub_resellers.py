"""Sub-resellers (seed §11.1): create one under your reseller or one you manage, list them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS, ResellerOut
from commands.partners.resellers import CreateSubReseller, create_sub_reseller, list_sub_resellers

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
