"""The reseller's payment settings (cryptocurrency payments)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import Context, ExactJSONRoute, Services, command_response
from api.routers.billing.schemas import PaymentSettingsOut
from api.schemas import PROBLEMS
from commands.billing.books import PaymentSettings, change_payment_settings

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.patch("/settings/payments", response_model=PaymentSettingsOut, responses=PROBLEMS)
def payment_settings(
    command: PaymentSettings,
    context: Context,
    s: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Whether customers may pay in cryptocurrency."""
    return command_response(change_payment_settings(s.store, context, command, reseller_id))
