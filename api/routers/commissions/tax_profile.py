"""Seed §5.3: the reseller's tax profile, which its payouts and tax statements use."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.commissions.params import ResellerFilter
from api.routers.commissions.schemas import TaxProfileOut
from api.schemas import PROBLEMS
from commands.commissions import payouts

router = APIRouter(prefix="/reseller/api", tags=["payouts"], route_class=ExactJSONRoute)


@router.get(
    "/tax-profile", response_model=None, responses={**PROBLEMS, 200: {"model": TaxProfileOut}}
)
def tax_profile(
    context: Context, s: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """The reseller's tax profile (the TIN shows its last four digits only)."""
    return payouts.get_tax_profile(s.store, context, reseller_id)


@router.put("/tax-profile", response_model=TaxProfileOut, responses=PROBLEMS)
def set_tax_profile(
    command: payouts.SetTaxProfile,
    context: Context,
    s: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Legal name, address, country, VAT id, US TIN; `backup_withholding` is the ISP's to set."""
    return command_response(payouts.set_tax_profile(s.store, context, reseller_id, command))
