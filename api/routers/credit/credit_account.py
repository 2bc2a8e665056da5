"""The reseller's credit account with the ISP, and the ledger views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import (
    READ_WAIT_MS,
    Context,
    CurrentPrincipal,
    ExactJSONRoute,
    ReadConnection,
    Services,
    WaitTimeout,
    command_response,
    wait_until,
)
from api.schemas import PROBLEMS, AccountBalanceOut, CreditAccountOut, TrialBalanceOut
from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    credit_account_now,
    record_charge,
    record_payment,
)
from domain.access.roles import Permission
from projections.ledger.journal import JournalProjector, account_balances, trial_balance

router = APIRouter(prefix="/reseller/api", tags=["credit"], route_class=ExactJSONRoute)
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]
ResellerFilter = Annotated[int | None, Query(ge=1)]


@router.get("/credit-account", responses=PROBLEMS)
def read_account(
    context: Context,
    services: Services,
    reseller_id: ResellerFilter = None,
    wait_for_position: Annotated[
        int | None,
        Query(ge=0, description="Accepted like on every read; this one always holds it"),
    ] = None,
) -> dict[str, Any]:
    """The account as of now, from its events: limit (with any emergency credit or temporary
    increase in force), balance, utilization, state, alerts, policy, open charges, collections.
    Read from the event store, so it already reflects every write (any `wait_for_position`)."""
    del wait_for_position
    return credit_account_now(services.store, context, reseller_id)


@router.post(
    "/resellers/{reseller_id}/credit-account/charges",
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def charge(
    reseller_id: int, command: RecordCharge, context: Context, services: Services
) -> Response:
    """Record a wholesale charge on a reseller's credit account (master ISP admins)."""
    return command_response(record_charge(services.store, context, reseller_id, command))


@router.post(
    "/resellers/{reseller_id}/credit-account/payments",
    response_model=CreditAccountOut,
    responses=PROBLEMS,
)
def pay(reseller_id: int, command: RecordPayment, context: Context, services: Services) -> Response:
    """Record a payment against a reseller's credit account."""
    return command_response(record_payment(services.store, context, reseller_id, command))


@router.get("/ledger/trial-balance", response_model=TrialBalanceOut, responses=PROBLEMS)
def read_trial_balance(
    principal: CurrentPrincipal,
    services: Services,
    conn: ReadConnection,
    reseller_id: ResellerFilter = None,
    wait_for_position: Wait = None,
    wait_timeout_ms: WaitTimeout = READ_WAIT_MS,
) -> dict[str, Any]:
    """Net of all postings per currency; zero in every currency when the books balance.
    ISP admins see all entries unless they name a reseller; others see their reseller's."""
    number = reseller_id if principal.is_isp_admin else principal.reseller_in_scope(reseller_id)
    principal.require(Permission.LEDGER_VIEW)
    reached = wait_until(
        services, conn, JournalProjector, wait_for_position, number, wait_timeout_ms
    )
    balances = trial_balance(conn, number)
    return {
        "balances": {currency: str(total) for currency, total in balances.items()},
        "balanced": all(total == 0 for total in balances.values()),
        "position_reached": reached,
    }


@router.get("/ledger/accounts", response_model=list[AccountBalanceOut], responses=PROBLEMS)
def read_accounts(
    principal: CurrentPrincipal, conn: ReadConnection, reseller_id: ResellerFilter = None
) -> list[dict[str, Any]]:
    number = reseller_id if principal.is_isp_admin else principal.reseller_in_scope(reseller_id)
    principal.require(Permission.LEDGER_VIEW)
    return account_balances(conn, number)
