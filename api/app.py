"""The FastAPI application: routers, problem+json errors, request ids, body size limit."""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from psycopg_pool import PoolTimeout
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.boundary import TextBoundary
from api.deps import ApiServices
from api.openapi_exact import install_exact_openapi
from api.problems import install_problem_handlers, problem
from api.routers import health
from api.routers.access import (
    activity,
    password,
    roles,
    security_settings,
    sessions,
    tokens,
    two_factor,
    users,
)
from api.routers.audit import trail as audit
from api.routers.billing import (
    account,
    billing_cycle,
    billing_runs,
    books,
    chargebacks,
    credit_notes,
    invoices,
    payment_plans,
    payment_settings,
    payments,
    refunds,
)
from api.routers.catalogue import pricing, tariffs
from api.routers.commissions import (
    calculations,
    commission_statements,
    consolidated,
    fx_rates,
    nec_statements,
    payout_schedule,
    payouts,
    tax_profile,
    vat_statements,
)
from api.routers.commissions import disputes as dispute_routes
from api.routers.commissions import plans as commission_plans
from api.routers.commissions import records as commission_records
from api.routers.credit import credit_account as credit
from api.routers.credit import credit_policy, emergency_credit, limit_increases
from api.routers.customers import contact_types, contacts, customers
from api.routers.customers import erasure as privacy
from api.routers.customers import services as customer_services
from api.routers.notifications import broadcasts
from api.routers.notifications import centre as notifications
from api.routers.notifications import preferences as notification_preferences
from api.routers.partners import resellers, sub_resellers
from api.routers.reporting import dashboards, report_files, reports, schedules
from api.routers.support import categories as support_categories
from api.routers.support import communications as support_communications
from api.routers.support import desk_settings, knowledge_base, tickets
from api.routers.support import metrics as support_metrics
from api.routers.support import queue as support_queue
from api.routers.support import report as support_report
from api.routers.webhooks import deliveries as webhook_deliveries
from api.routers.webhooks import subscriptions as webhook_subscriptions

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger(__name__)


class BodySizeLimit:
    """Refuse bodies over the limit with 413, by Content-Length and while streaming."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"the request body is larger than {self.max_body_bytes} bytes")
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(
        title="Reseller Ledger",
        version="0.1.0",
        description="Event-sourced ledger for an ISP's resellers. Authenticate with "
        "`Authorization: Bearer <token>`. Command responses carry `Ledger-Position`; list "
        "endpoints accept `wait_for_position` for read-your-writes.",
    )
    app.state.services = services
    install_problem_handlers(app)
    install_exact_openapi(app)

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(StoreOperationalError)
    @app.exception_handler(StoreInterfaceError)
    async def unavailable(request: Request, exc: Exception) -> Response:
        log.error("database.unavailable", error=type(exc).__name__)
        return problem(
            503, "the database is unavailable; retry later", headers={"Retry-After": "1"}
        )

    app.add_middleware(TextBoundary)  # inside request_id, so its refusals carry the id

    @app.middleware("http")
    async def request_id(request: Request, call_next: Any) -> Response:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)
        response: Response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        log.info(
            "request", method=request.method, path=request.url.path, status=response.status_code
        )
        return response

    app.add_middleware(BodySizeLimit, max_body_bytes=services.config.max_body_bytes)
    # Before the commission records, so /commissions/consolidated never reads as a commission id.
    app.include_router(commission_plans.router)
    app.include_router(calculations.router)
    app.include_router(consolidated.router)
    # payouts before the records: its fixed /commissions/... paths must win over any {id} route.
    for module in (
        health,
        sessions,
        password,
        two_factor,
        resellers,
        tokens,
        sub_resellers,
        customers,
        contacts,
        contact_types,
        credit,
        payout_schedule,
        tax_profile,
        fx_rates,
        payouts,
        commission_statements,
        # What was one billing router, in its order of routes.
        tariffs,
        pricing,
        customer_services,
        invoices,
        account,
        payments,
        credit_notes,
        refunds,
        chargebacks,
        billing_runs,
        billing_cycle,
        payment_plans,
        payment_settings,
        books,
        credit_policy,
        emergency_credit,
        limit_increases,
        commission_records,
        users,
        security_settings,
        roles,
        activity,
        audit,
        nec_statements,
        vat_statements,
    ):
        app.include_router(module.router)
    app.include_router(privacy.router)
    # Schedules and files before reports by kind: /reports/{kind} must not swallow them.
    for reporting_module in (dashboards, schedules, report_files, reports):
        app.include_router(reporting_module.router)
    app.include_router(dispute_routes.router)
    for support_module in (
        tickets,
        support_queue,
        desk_settings,
        support_categories,
        support_metrics,
        support_report,
        support_communications,
        knowledge_base,
    ):
        app.include_router(support_module.router)
    app.include_router(notifications.router)
    app.include_router(broadcasts.router)
    app.include_router(notification_preferences.router)
    app.include_router(webhook_subscriptions.router)
    app.include_router(webhook_deliveries.router)
    return app
