"""The ISP's ticket categories (the same for every reseller)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    Context,
    ExactJSONRoute,
    Services,
    command_response,
)
from api.schemas import PROBLEMS
from commands.support import desk

router = APIRouter(prefix="/reseller/api/support", tags=["support"], route_class=ExactJSONRoute)


class CategoriesOut(BaseModel):
    categories: list[str]
    version: int


@router.get("/categories", response_model=CategoriesOut, responses=PROBLEMS)
def categories(
    context: Context, s: Services, reseller_id: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    """Ticket categories: seed §9.1's five plus those the master ISP added (the same for
    every reseller)."""
    return desk.categories_view(s.store, context, reseller_id)


@router.post(
    "/categories",
    status_code=201,
    response_model=CategoriesOut,
    responses={**PROBLEMS, 201: {"model": CategoriesOut}},
)
def add_category(command: desk.AddCategory, context: Context, s: Services) -> Response:
    """The master ISP adds a ticket category (every reseller gets it)."""
    return command_response(desk.add_category(s.store, context, command))
