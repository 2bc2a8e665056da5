"""Roles: the built-in templates and the reseller's custom roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.access.params import ResellerFilter
from api.routers.access.schemas import RolesOut
from api.schemas import PROBLEMS
from commands.access.users import DefineRole, define_role, list_roles, remove_role

router = APIRouter(prefix="/reseller/api", tags=["users"], route_class=ExactJSONRoute)


@router.get("/roles", response_model=None, responses={**PROBLEMS, 200: {"model": RolesOut}})
def roles(
    context: Context, services: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """The built-in role templates and the reseller's custom roles."""
    return list_roles(services.store, context, reseller_id)


@router.post("/roles", status_code=201, response_model=RolesOut, responses=PROBLEMS)
def define(
    command: DefineRole, context: Context, services: Services, reseller_id: ResellerFilter = None
) -> Response:
    """Define (or redefine) a custom role: a name, a built-in base role, and permissions."""
    return command_response(define_role(services.store, context, command, reseller_id))


@router.delete("/roles/{name}", response_model=RolesOut, responses=PROBLEMS)
def remove(
    name: str, context: Context, services: Services, reseller_id: ResellerFilter = None
) -> Response:
    """Remove a custom role; users who hold it keep no permissions from it."""
    return command_response(remove_role(services.store, context, name, reseller_id))
