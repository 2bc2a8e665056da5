"""Seed §4: the ISP's tariffs and their authorization per reseller."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.catalogue.schemas import AuthorizedTariffsOut, TariffOut
from api.schemas import PROBLEMS
from commands.catalogue import tariffs as catalogue

# The "billing" tag is kept from the router these routes came from: generated clients group by it.
router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.post("/tariffs", status_code=201, response_model=TariffOut, responses=PROBLEMS)
def define_tariff(command: catalogue.DefineTariff, context: Context, s: Services) -> Response:
    """Add a tariff to the ISP's catalogue (master ISP)."""
    return command_response(catalogue.define_tariff(s.store, context, command))


@router.get("/tariffs", responses=PROBLEMS)
def tariffs(context: Context, s: Services, reseller_id: ResellerFilter = None) -> dict[str, Any]:
    """The tariffs the reseller is authorized to sell."""
    return catalogue.catalogue(s.store, context, reseller_id)


@router.post(
    "/resellers/{reseller_id}/tariffs", response_model=AuthorizedTariffsOut, responses=PROBLEMS
)
def authorize(
    reseller_id: int, command: catalogue.AuthorizeTariff, context: Context, s: Services
) -> Response:
    """Authorize a tariff (and regions) for a reseller (master ISP)."""
    return command_response(catalogue.authorize_tariff(s.store, context, reseller_id, command))
