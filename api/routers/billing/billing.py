"""Seed §4, §5.4 and §8: tariffs and pricing, services, invoices and payments, credit notes,
refunds, billing runs, closing the books, and the credit account's controls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
    wait_until,
)
from api.routers.commissions.plans import period_bounds
from api.schemas import PROBLEMS
from commands.billing import accounts as billing_accounts
from commands.billing import books, corrections, cycles, invoicing, payment_plans, payments
from commands.catalogue import tariffs as catalogue
from commands.commissions import accrual as commissions_commands
from commands.credit import credit_account as credit
from commands.customers import services
from commands.errors import Unprocessable
from commands.models import ApiDate
from domain.access.roles import Permission
from projections.billing import billing as billing_rows
from projections.commissions.records import CommissionsProjector, list_commissions

router = APIRouter(prefix="/reseller/api", tags=["billing"], route_class=ExactJSONRoute)
ResellerFilter = Annotated[int | None, Query(ge=1)]


# -- catalogue and pricing --------------------------------------------------------------------


@router.post("/tariffs", status_code=201, responses=PROBLEMS)
def define_tariff(command: catalogue.DefineTariff, context: Context, s: Services) -> Response:
    """Add a tariff to the ISP's catalogue (master ISP)."""
    return command_response(catalogue.define_tariff(s.store, context, command))


@router.get("/tariffs", responses=PROBLEMS)
def tariffs(context: Context, s: Services, reseller_id: ResellerFilter = None) -> dict[str, Any]:
    """The tariffs the reseller is authorized to sell."""
    return catalogue.catalogue(s.store, context, reseller_id)


@router.post("/resellers/{reseller_id}/tariffs", responses=PROBLEMS)
def authorize(
    reseller_id: int, command: catalogue.AuthorizeTariff, context: Context, s: Services
) -> Response:
    """Authorize a tariff (and regions) for a reseller (master ISP)."""
    return command_response(catalogue.authorize_tariff(s.store, context, reseller_id, command))


@router.post("/pricing", status_code=201, responses=PROBLEMS)
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


# -- services ---------------------------------------------------------------------------------


@router.post("/customers/{customer_id}/services", status_code=201, responses=PROBLEMS)
def add_service(
    customer_id: str, command: services.AddService, context: Context, s: Services
) -> Response:
    uid = parse_uuid(customer_id, "customer")
    return command_response(services.add_service(s.store, context, uid, command))


@router.get("/customers/{customer_id}/services", responses=PROBLEMS)
def customer_services(customer_id: str, context: Context, s: Services) -> list[dict[str, Any]]:
    return services.list_services(s.store, context, parse_uuid(customer_id, "customer"))


@router.post("/services/{service_id}/status", responses=PROBLEMS)
def service_status(
    service_id: str, command: services.ChangeServiceStatus, context: Context, s: Services
) -> Response:
    """Activate, hold/suspend, limit, restore or terminate a service."""
    uid = parse_uuid(service_id, "service")
    return command_response(services.change_service_status(s.store, context, uid, command))


@router.post("/services/{service_id}/tariff", responses=PROBLEMS)
def service_tariff(
    service_id: str, command: services.ChangeTariff, context: Context, s: Services
) -> Response:
    """Upgrade or downgrade from a date; the period is prorated across both tariffs."""
    uid = parse_uuid(service_id, "service")
    return command_response(services.change_tariff(s.store, context, uid, command))


# -- invoices and payments --------------------------------------------------------------------


@router.post(
    "/customers/{customer_id}/invoices",
    status_code=201,
    responses=PROBLEMS | {200: {"description": "Already billed, or nothing to bill"}},
)
def bill(
    customer_id: str, command: invoicing.BillingPeriod, context: Context, s: Services
) -> Response:
    """Bill a customer for a period now (once per period, whoever asks how often)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(invoicing.bill_customer(s.store, context, uid, command))


@router.get("/customers/{customer_id}/invoices/proforma", responses=PROBLEMS)
def proforma(
    customer_id: str, period_start: ApiDate, period_end: ApiDate, context: Context, s: Services
) -> dict[str, Any]:
    period = invoicing.BillingPeriod(period_start=period_start, period_end=period_end)
    return invoicing.proforma(s.store, context, parse_uuid(customer_id, "customer"), period)


@router.get("/customers/{customer_id}/account", responses=PROBLEMS)
def account(customer_id: str, context: Context, s: Services) -> dict[str, Any]:
    """Invoices with what each still owes, customer credit and the balance."""
    return billing_accounts.customer_account(s.store, context, parse_uuid(customer_id, "customer"))


@router.post("/customers/{customer_id}/payments", status_code=201, responses=PROBLEMS)
def pay(
    customer_id: str, command: payments.CustomerPayment, context: Context, s: Services
) -> Response:
    """A customer payment: it settles the oldest open invoices first; the rest is credit."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(payments.record_customer_payment(s.store, context, uid, command))


@router.post("/customers/{customer_id}/payments/failed", responses=PROBLEMS)
def failed_payment(
    customer_id: str, command: payments.FailedPayment, context: Context, s: Services
) -> Response:
    """A declined attempt: recorded, nothing moves; the response says when to retry."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(payments.record_failed_payment(s.store, context, uid, command))


@router.post("/customers/{customer_id}/credit-notes", status_code=201, responses=PROBLEMS)
def credit_note(
    customer_id: str, command: corrections.CreditNote, context: Context, s: Services
) -> Response:
    uid = parse_uuid(customer_id, "customer")
    return command_response(corrections.issue_credit_note(s.store, context, uid, command))


@router.post("/customers/{customer_id}/refunds", status_code=201, responses=PROBLEMS)
def refund(
    customer_id: str, command: corrections.Refund, context: Context, s: Services
) -> Response:
    """Pay customer credit back out (never more than the credit on hand)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(corrections.issue_refund(s.store, context, uid, command))


@router.post("/customers/{customer_id}/chargebacks", status_code=201, responses=PROBLEMS)
def chargeback(
    customer_id: str, command: corrections.Chargeback, context: Context, s: Services
) -> Response:
    """The payer's bank took a payment back; its commissions are voided inside the holding
    period and clawed back after it."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(corrections.record_chargeback(s.store, context, uid, command))


@router.post("/billing/runs", status_code=202, responses=PROBLEMS)
def billing_run(
    command: cycles.BillingRun, context: Context, s: Services, reseller_id: ResellerFilter = None
) -> dict[str, Any]:
    """Bill every customer of the reseller, as background jobs: for one period, or (`on`) for
    each customer's own billing-cycle period containing that date."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_MANAGE)
    period = command.period()
    if s.jobs is None:
        raise Unprocessable("no job queue is configured", field="period_start")
    if period is None:
        on = command.on or context.received_at.date()  # period() ensured `on` is given
        job = s.jobs.billing_cycle_run(number, on)
        return {"reseller_id": number, "on": on.isoformat(), "job_id": job}
    invoicing.check_period(period)
    job = s.jobs.billing_run(number, period.period_start, period.period_end)
    return {
        "reseller_id": number,
        "period_start": period.period_start.isoformat(),
        "period_end": period.period_end.isoformat(),
        "job_id": job,
    }


@router.put("/customers/{customer_id}/billing-cycle", responses=PROBLEMS)
def billing_cycle(
    customer_id: str, command: cycles.SetBillingCycle, context: Context, s: Services
) -> Response:
    """Monthly billing periods starting on a day of the month (1-28)."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(cycles.set_billing_cycle(s.store, context, uid, command))


@router.post("/customers/{customer_id}/payment-plans", status_code=201, responses=PROBLEMS)
def payment_plan(
    customer_id: str, command: payment_plans.PaymentPlan, context: Context, s: Services
) -> Response:
    """Spread open invoices over installments; the account shows each as paid, due or overdue."""
    uid = parse_uuid(customer_id, "customer")
    return command_response(payment_plans.agree_payment_plan(s.store, context, uid, command))


@router.patch("/settings/payments", responses=PROBLEMS)
def payment_settings(
    command: books.PaymentSettings,
    context: Context,
    s: Services,
    reseller_id: ResellerFilter = None,
) -> Response:
    """Whether customers may pay in cryptocurrency."""
    return command_response(books.change_payment_settings(s.store, context, command, reseller_id))


@router.post("/books/close", responses=PROBLEMS)
def close_books(
    command: books.CloseBooks, context: Context, s: Services, reseller_id: ResellerFilter = None
) -> Response:
    """Close accounting periods through a date: nothing may post into them afterwards."""
    return command_response(books.close_books(s.store, context, command, reseller_id))


# -- credit account controls ------------------------------------------------------------------


@router.patch("/resellers/{reseller_id}/credit-account/policy", responses=PROBLEMS)
def credit_policy(
    reseller_id: int, command: credit.ChangeCreditPolicy, context: Context, s: Services
) -> Response:
    """Thresholds (warning 50-95%, restriction 75-99%), actions at 100%, payment terms."""
    return command_response(credit.change_credit_policy(s.store, context, reseller_id, command))


@router.post(
    "/resellers/{reseller_id}/credit-account/emergency-credit", status_code=201, responses=PROBLEMS
)
def emergency_request(
    reseller_id: int, command: credit.RequestEmergencyCredit, context: Context, s: Services
) -> Response:
    """Ask for emergency credit: up to 25% of the limit, for 48 hours once granted."""
    return command_response(credit.request_emergency_credit(s.store, context, reseller_id, command))


@router.post(
    "/resellers/{reseller_id}/credit-account/emergency-credit/{request_id}/grant",
    responses=PROBLEMS,
)
def emergency_grant(reseller_id: int, request_id: str, context: Context, s: Services) -> Response:
    """Grant a pending request (master ISP); it expires 48 hours later by itself."""
    return command_response(
        credit.grant_emergency_credit(s.store, context, reseller_id, request_id)
    )


@router.post(
    "/resellers/{reseller_id}/credit-account/limit-increases", status_code=201, responses=PROBLEMS
)
def increase_request(
    reseller_id: int, command: credit.RequestLimitIncrease, context: Context, s: Services
) -> Response:
    return command_response(credit.request_limit_increase(s.store, context, reseller_id, command))


@router.post(
    "/resellers/{reseller_id}/credit-account/limit-increases/{request_id}/decision",
    responses=PROBLEMS,
)
def increase_decision(
    reseller_id: int, request_id: str, command: credit.Decision, context: Context, s: Services
) -> Response:
    """Approve or reject a limit increase (master ISP)."""
    return command_response(
        credit.decide_limit_increase(s.store, context, reseller_id, request_id, command)
    )


@router.get("/invoices", responses=PROBLEMS)
def invoices(
    context: Context,
    s: Services,
    conn: ReadConnection,
    status: Literal["open", "settled"] | None = None,
    customer_id: str | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """The reseller's invoices, oldest first (filters: status, customer)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, billing_rows.BillingProjector, wait_for_position, number, READ_WAIT_MS)
    target = None if customer_id is None else str(parse_uuid(customer_id, "customer"))
    limit = min(limit, s.config.page_size_max)
    return billing_rows.list_invoices(conn, number, status, target, limit, offset)


@router.get("/services", responses=PROBLEMS)
def services_list(
    context: Context,
    s: Services,
    conn: ReadConnection,
    status: Literal["pending", "active", "suspended", "limited", "terminated"] | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """The reseller's services (filter: status)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.CUSTOMER_VIEW)
    limit = min(limit, s.config.page_size_max)
    return billing_rows.list_services(conn, number, status, limit, offset)


@router.get("/commissions", responses=PROBLEMS)
def commissions(
    context: Context,
    s: Services,
    conn: ReadConnection,
    period: Annotated[str | None, Query(max_length=7, examples=["2024-01"])] = None,
    period_start: ApiDate | None = None,
    period_end: ApiDate | None = None,
    commission_type: Literal["setup", "recurring", "usage", "retention", "performance", "interest"]
    | None = Query(default=None, alias="type"),
    status: Literal["pending", "calculated", "approved", "disputed", "adjusted", "paid", "voided"]
    | None = None,
    customer_id: str | None = None,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """Commission records (seed §5.1 fields); filters: period (`YYYY-MM`, or `period_start`
    and `period_end`), type, status, customer."""
    start, end = period_bounds(period, period_start, period_end)
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, CommissionsProjector, wait_for_position, number, READ_WAIT_MS)
    target = None
    if customer_id is not None:
        try:
            target = str(uuid.UUID(customer_id))
        except ValueError:
            raise Unprocessable("customer_id must be a customer id", field="customer_id") from None
    limit = min(limit, s.config.page_size_max)
    return list_commissions(
        conn, number, start, end, commission_type, status, target, limit, offset
    )


@router.post("/commissions/{commission_id}/approve", responses=PROBLEMS)
def approve_commission(commission_id: str, context: Context, s: Services) -> Response:
    """Approve a cleared commission for payout (master ISP)."""
    uid = parse_uuid(commission_id, "commission")
    return command_response(commissions_commands.approve_commission(s.store, context, uid))
