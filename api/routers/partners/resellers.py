"""Resellers (master ISP): create one, read one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS, ResellerOut
from commands.partners.resellers import CreateReseller, create_reseller, get_reseller

router = APIRouter(prefix="/reseller/api", tags=["resellers"], route_class=ExactJSONRoute)


@router.post("/resellers", status_code=201, response_model=ResellerOut, responses=PROBLEMS)
def create(command: CreateReseller, context: Context, services: Services) -> Response:
    """Create a reseller (master ISP admins only), with its credit account."""
    return command_response(create_reseller(services.store, context, command))


@router.get("/resellers/{reseller_id}", response_model=ResellerOut, responses=PROBLEMS)
def read(reseller_id: int, context: Context, services: Services) -> dict[str, Any]:
    return get_reseller(services.store, context, reseller_id)
