"""Resellers (master ISP) and API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.schemas import PROBLEMS, ResellerOut, TokenOut
from commands.access.tokens import IssueToken, issue_token
from commands.partners.resellers import (
    CreateReseller,
    CreateSubReseller,
    create_reseller,
    create_sub_reseller,
    get_reseller,
    list_sub_resellers,
)

router = APIRouter(prefix="/reseller/api", tags=["resellers"], route_class=ExactJSONRoute)


@router.post("/resellers", status_code=201, response_model=ResellerOut, responses=PROBLEMS)
def create(command: CreateReseller, context: Context, services: Services) -> Response:
    """Create a reseller (master ISP admins only), with its credit account."""
    return command_response(create_reseller(services.store, context, command))


@router.get("/resellers/{reseller_id}", response_model=ResellerOut, responses=PROBLEMS)
def read(reseller_id: int, context: Context, services: Services) -> dict[str, Any]:
    return get_reseller(services.store, context, reseller_id)


@router.post("/tokens", status_code=201, response_model=TokenOut, responses=PROBLEMS)
def issue(command: IssueToken, context: Context, services: Services) -> Response:
    """Issue an API token. The secret is shown in this response only."""
    return command_response(issue_token(services.store, context, command))


@router.post("/sub-resellers", status_code=201, response_model=ResellerOut, responses=PROBLEMS)
def create_sub(command: CreateSubReseller, context: Context, services: Services) -> Response:
    """Create a sub-reseller (seed §11.1 JSON) under your reseller or one you manage."""
    return command_response(create_sub_reseller(services.store, context, command))


@router.get("/sub-resellers", responses=PROBLEMS)
def list_sub(
    context: Context, services: Services, reseller_id: int | None = None
) -> list[dict[str, Any]]:
    return list_sub_resellers(services.store, context, reseller_id)
