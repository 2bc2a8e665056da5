"""Closing the books: accounting periods nothing may post into any more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.billing.schemas import BooksClosedOut
from api.schemas import PROBLEMS
from commands.billing import books
from commands.billing.books import CloseBooks

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.post("/books/close", response_model=BooksClosedOut, responses=PROBLEMS)
def close_books(
    command: CloseBooks, context: Context, s: Services, reseller_id: ResellerFilter = None
) -> Response:
    """Close accounting periods through a date: nothing may post into them afterwards."""
    return command_response(books.close_books(s.store, context, command, reseller_id))
