"""Seed §4.2: pricing rules and the price quote they give."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.catalogue.schemas import PriceListOut
from api.schemas import PROBLEMS
from commands.catalogue import tariffs as catalogue
from commands.models import ApiDate

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.post("/pricing", status_code=201, response_model=PriceListOut, responses=PROBLEMS)
def set_pricing(command: catalogue.SetPricing, context: Context, s: Services) -> Response:
    """A pricing rule (seed §4.2 JSON); it applies from `effective_from` on."""
    return command_response(catalogue.set_pricing(s.store, context, command))


@router.get("/pricing/quote", responses=PROBLEMS)
def quote(
    context: Context,
    s: Services,
    tariff_id: Annotated[int, Query(ge=1)],
    on: ApiDate | None = None,
    volume: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    customer_type: Literal["person", "company"] = "person",
    reseller_id: ResellerFilter = None,
) -> dict[str, Any]:
    day = on or context.received_at.date()
    return catalogue.quote(s.store, context, tariff_id, day, volume, customer_type, reseller_id)
