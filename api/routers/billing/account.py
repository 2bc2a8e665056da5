"""A customer's account: invoices with what each still owes, customer credit, the balance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Context, ExactJSONRoute, Services, parse_uuid
from api.schemas import PROBLEMS
from commands.billing.accounts import customer_account

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)


@router.get("/customers/{customer_id}/account", responses=PROBLEMS)
def account(customer_id: str, context: Context, s: Services) -> dict[str, Any]:
    """Invoices with what each still owes, customer credit and the balance."""
    return customer_account(s.store, context, parse_uuid(customer_id, "customer"))
