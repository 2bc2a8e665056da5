"""The route-by-route authorization matrix, generated from the app's OpenAPI document.

Every route by principal (admin, manager, user, readonly, a narrow API token, an admin's login
session, the master ISP, its finance auditor) by target (own reseller, a foreign one, a child
of its own whose parent lets admins manage sub-resellers) gets the status the policy table
predicts: 2xx when allowed, 403 when the permission is missing, 404 for anything outside the
caller's reach. A route with no entry in the policy table fails the test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from commands.access.tokens import IssueToken, issue_token
from commands.access.users import SecuritySettings, change_security_settings
from commands.billing.cycles import month_of
from commands.customers.customers import CreateCustomer, create_customer
from domain.access.roles import ROLE_PERMISSIONS, Permission, Role
from tests.api.auth_helpers import PASSWORD, client_from, fresh_ip
from tests.support.builders import context, new_reseller, new_user
from tests.support.disputes import approved_commission, dispute_in_state
from tests.support.notifications import Own, notifications_policy
from tests.support.tickets import api_clock, support_policy
from tests.support.webhooks import webhooks_policy

P = Permission
Request = tuple[str, dict[str, Any] | None, dict[str, Any] | None]  # url, params, json


@dataclass(frozen=True)
class Scoped:
    """A route acting on one reseller's data; `build` makes a fresh, valid request for it."""

    permission: P | None
    build: Callable[[Any, int], Request]
    isp_only: bool = False
    """Reseller principals get 403 whatever the target: the route is not theirs at all."""


PUBLIC = "public"
SESSION_ONLY = "session-only"


def _customer(store: Any, number: int) -> dict[str, Any]:
    result = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person", first_name="M", last_name="Atrix", reseller_id=number
        ),
    )
    return json.loads(result.body)


def _closed_customer(store: Any, number: int) -> str:
    from commands.customers.customers import ChangeCustomerStatus, change_customer_status

    customer_id = _customer(store, number)["customer_id"]
    change_customer_status(
        store, context(), uuid.UUID(customer_id), ChangeCustomerStatus(status="inactive")
    )
    return str(customer_id)


def _projected_customer_url(store: Any, number: int) -> str:
    return f"/reseller/api/customers/{_customer(store, number)['customer_id']}"


def _contact_type(store: Any) -> str:
    from commands.customers.contacts import DefineContactType, define_contact_type

    name = f"matrix_{uuid.uuid4().hex[:8]}"
    define_contact_type(store, context(), DefineContactType(name=name, label="Matrix"))
    return name


def _contact(store: Any, number: int) -> str:
    """A customer's contacts URL with one contact: `.../contacts/{contact_id}`."""
    from commands.customers.contacts import SetContact, set_contact

    customer = _customer(store, number)["customer_id"]
    added = set_contact(
        store,
        context(),
        uuid.UUID(customer),
        None,
        SetContact(contact_type=_contact_type(store), name="M"),
    )
    contact = json.loads(added.body)["items"][0]["contact_id"]
    return f"/reseller/api/customers/{customer}/contacts/{contact}"


def _requested_contact_type(store: Any, number: int) -> str:
    from commands.customers.contacts import RequestContactType, request_contact_type

    name = f"matrix_{uuid.uuid4().hex[:8]}"
    request_contact_type(
        store, context(), RequestContactType(name=name, label="Matrix", reseller_id=number)
    )
    return name


def _sub_reseller(store: Any, number: int) -> int:
    """A new child of the reseller: its terms are the parent's side to change."""
    from commands.partners.resellers import CreateSubReseller, create_sub_reseller

    made = create_sub_reseller(
        store, context(), CreateSubReseller(parent_reseller_id=number, name="Matrix child")
    )
    return int(json.loads(made.body)["reseller_id"])


def _head(store: Any) -> int:
    return int(store.recorder.max_notification_id())


def _user(store: Any, number: int) -> str:
    return new_user(store, number, f"m.{uuid.uuid4().hex[:10]}", role="user")


def _disabled_user(store: Any, number: int) -> str:
    from commands.access.auth import AuthConfig, AuthServices
    from commands.access.users import set_user_enabled

    target = _user(store, number)
    sessions = type("NoSessions", (), {"revoke_all": lambda *a: []})()
    auth = AuthServices(AuthConfig(), sessions, None, None)  # type: ignore[arg-type]
    set_user_enabled(store, auth, context(), uuid.UUID(target), False)
    return target


def _custom_role(store: Any, number: int) -> str:
    from commands.access.users import DefineRole, define_role

    name = f"r{uuid.uuid4().hex[:8]}"
    define_role(
        store,
        context(),
        DefineRole(name=name, base_role="user", permissions=["customer_view"]),
        number,
    )
    return name


_tariffs: dict[int, tuple[int, int]] = {}
NEXT_MONTH = month_of((date.today().replace(day=1) + timedelta(days=32)).replace(day=1))
PERIOD = {"period_start": NEXT_MONTH[0].isoformat(), "period_end": NEXT_MONTH[1].isoformat()}
_closed_through: dict[int, int] = {}


def _tariffs_for(store: Any, number: int) -> tuple[int, int]:
    """Two internet tariffs authorized for the reseller (made once per reseller)."""
    from commands.catalogue.tariffs import (
        AuthorizeTariff,
        DefineTariff,
        authorize_tariff,
        define_tariff,
    )

    if number not in _tariffs:
        made = []
        for price in ("20.00", "35.00"):
            result = define_tariff(
                store,
                context(),
                DefineTariff(
                    service_type="internet",
                    name=f"Fibre {price}",
                    wholesale_price=price,
                    currency="USD",
                ),
            )
            tariff = json.loads(result.body)["tariff_id"]
            authorize_tariff(store, context(), number, AuthorizeTariff(tariff_id=tariff))
            made.append(tariff)
        _tariffs[number] = (made[0], made[1])
    return _tariffs[number]


def _service(store: Any, number: int, active: bool = False) -> tuple[str, str]:
    from commands.customers.services import (
        AddService,
        ChangeServiceStatus,
        add_service,
        change_service_status,
    )

    customer = _customer(store, number)["customer_id"]
    added = add_service(
        store, context(), uuid.UUID(customer), AddService(tariff_id=_tariffs_for(store, number)[0])
    )
    service = json.loads(added.body)["service_id"]
    if active:
        change_service_status(
            store, context(), uuid.UUID(service), ChangeServiceStatus(status="active")
        )
    return customer, service


def _invoice(store: Any, number: int) -> tuple[str, str]:
    from commands.billing.invoicing import BillingPeriod, bill_customer

    customer, _ = _service(store, number, active=True)
    billed = bill_customer(
        store,
        context(),
        uuid.UUID(customer),
        BillingPeriod(period_start=NEXT_MONTH[0], period_end=NEXT_MONTH[1]),
    )
    return customer, json.loads(billed.body)["invoice_id"]


def _customer_with_credit(store: Any, number: int) -> str:
    from commands.billing.payments import CustomerPayment, record_customer_payment

    customer = _customer(store, number)["customer_id"]
    record_customer_payment(
        store,
        context(),
        uuid.UUID(customer),
        CustomerPayment(amount="10.00", currency="USD", method="cash"),
    )
    return customer


def _no_pending_emergency(store: Any, number: int) -> None:
    from commands.credit.credit_account import credit_account_now, grant_emergency_credit

    view = credit_account_now(store, context(), number)
    for request_id, request in view["emergency_requests"].items():
        if request["status"] == "pending":
            grant_emergency_credit(store, context(), number, request_id)


def _pending_emergency(store: Any, number: int) -> str:
    from commands.credit.credit_account import RequestEmergencyCredit, request_emergency_credit

    _no_pending_emergency(store, number)
    request_emergency_credit(
        store,
        context(),
        number,
        RequestEmergencyCredit(amount="10.00", currency="USD", reason="matrix"),
    )
    from commands.credit.credit_account import credit_account_now

    view = credit_account_now(store, context(), number)
    return next(k for k, v in view["emergency_requests"].items() if v["status"] == "pending")


def _increase_request(store: Any, number: int) -> str:
    from commands.credit.credit_account import (
        RequestLimitIncrease,
        credit_account_now,
        request_limit_increase,
    )

    request_limit_increase(
        store,
        context(),
        number,
        RequestLimitIncrease(
            new_limit="5000.00", currency="USD", kind="permanent", justification="matrix"
        ),
    )
    view = credit_account_now(store, context(), number)
    return next(k for k, v in view["limit_increase_requests"].items() if v["status"] == "pending")


def _cleared_commission(store: Any, number: int) -> str:
    from commands.billing.payments import CustomerPayment, record_customer_payment
    from commands.commissions.accrual import clear_commission

    customer = _customer(store, number)["customer_id"]
    paid = record_customer_payment(
        store,
        context(),
        uuid.UUID(customer),
        CustomerPayment(amount="10.00", currency="USD", method="cash"),
    )
    commission = json.loads(paid.body)["commissions"][0]
    later = datetime.now(UTC) + timedelta(days=31)
    clear_commission(store, context(now=later), uuid.UUID(commission))
    return str(commission)


def _next_close(number: int) -> str:
    _closed_through[number] = _closed_through.get(number, 0) + 1
    return (date(2019, 1, 1) + timedelta(days=_closed_through[number])).isoformat()


def _report_schedule(store: Any, number: int) -> str:
    from commands.reporting.schedules import ScheduleReport, schedule_report

    made = schedule_report(
        store,
        context(),
        ScheduleReport(kind="revenue", format="csv", frequency="monthly", reseller_id=number),
    )
    return str(json.loads(made.body)["schedule_id"])


def _report_file(store: Any, number: int) -> str:
    from projections.reporting.report_files import file_id_for, store_file

    schedule_id = str(uuid.uuid4())
    with store.recorder.datastore.get_connection() as conn:
        store_file(
            conn,
            reseller_id=number,
            schedule_id=schedule_id,
            kind="revenue",
            file_format="csv",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            filename="matrix.csv",
            media_type="text/csv",
            content=b"period\r\n",
            created_at=datetime.now(UTC),
        )
    return str(file_id_for(schedule_id, date(2026, 1, 1)))


def _reports(path: str) -> Callable[[Any, int], Request]:
    return lambda s, n: (
        f"/reseller/api/{path}",
        {"reseller_id": n, "wait_for_position": _head(s)},
        None,
    )


def _token(store: Any, number: int) -> str:
    result = issue_token(
        store, context(), IssueToken(label="m", role=Role.USER, reseller_id=number)
    )
    return str(json.loads(result.body)["token_id"])


_plan_versions: dict[int, int] = {}


def _next_plan(number: int) -> dict[str, Any]:
    """A plan version for the reseller, each starting a day after its last."""
    _plan_versions[number] = _plan_versions.get(number, 0) + 1
    day = date(2019, 1, 1) + timedelta(days=_plan_versions[number])
    return {"effective_from": day.isoformat(), "recurring": {"rate": "5.00"}}


def _paid_customer(store: Any, number: int) -> tuple[str, str]:
    from commands.billing.payments import CustomerPayment, record_customer_payment

    customer = _customer(store, number)["customer_id"]
    payment_id = f"m{uuid.uuid4().hex[:12]}"
    record_customer_payment(
        store,
        context(),
        uuid.UUID(customer),
        CustomerPayment(payment_id=payment_id, amount="10.00", currency="USD", method="cash"),
    )
    return customer, payment_id


def _chargeback(store: Any, number: int) -> Request:
    customer, payment_id = _paid_customer(store, number)
    body = {"payment_id": payment_id, "amount": "1.00", "currency": "USD", "reason": "m"}
    return f"/reseller/api/customers/{customer}/chargebacks", None, body


def _payout(store: Any, number: int) -> str:
    from tests.support.payouts import payout_with_statement

    return payout_with_statement(store, number)


POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/reseller/auth/login"): PUBLIC,
    ("POST", "/reseller/auth/logout"): SESSION_ONLY,
    ("GET", "/reseller/auth/sessions"): SESSION_ONLY,
    ("DELETE", "/reseller/auth/sessions/{session_id}"): SESSION_ONLY,
    ("POST", "/reseller/auth/password"): SESSION_ONLY,
    ("POST", "/reseller/auth/2fa/enroll"): SESSION_ONLY,
    ("POST", "/reseller/auth/2fa/confirm"): SESSION_ONLY,
    ("POST", "/reseller/auth/2fa/disable"): SESSION_ONLY,
    ("POST", "/reseller/api/resellers"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            "/reseller/api/resellers",
            None,
            {
                "reseller_code": f"M{uuid.uuid4().hex[:10]}",
                "name": "Matrix",
                "country": "NG",
                "currency": "USD",
                "parent_reseller_id": n,
            },
        ),
        isp_only=True,
    ),
    ("GET", "/reseller/api/resellers/{reseller_id}"): Scoped(
        None, lambda s, n: (f"/reseller/api/resellers/{n}", None, None)
    ),
    ("POST", "/reseller/api/tokens"): Scoped(
        P.TOKEN_ISSUE,
        lambda s, n: (
            "/reseller/api/tokens",
            None,
            {"label": "m", "role": "readonly", "reseller_id": n, "permissions": ["customer_view"]},
        ),
    ),
    ("GET", "/reseller/api/tokens"): Scoped(
        None, lambda s, n: ("/reseller/api/tokens", {"reseller_id": n}, None)
    ),
    ("DELETE", "/reseller/api/tokens/{token_id}"): Scoped(
        P.TOKEN_ISSUE, lambda s, n: (f"/reseller/api/tokens/{_token(s, n)}", None, None)
    ),
    ("POST", "/reseller/api/customers"): Scoped(
        P.CUSTOMER_CREATE,
        lambda s, n: (
            "/reseller/api/customers",
            None,
            {"customer_type": "person", "first_name": "A", "last_name": "B", "reseller_id": n},
        ),
    ),
    ("GET", "/reseller/api/customers"): Scoped(
        P.CUSTOMER_VIEW, lambda s, n: ("/reseller/api/customers", {"reseller_id": n}, None)
    ),
    ("GET", "/reseller/api/customers/{customer_id}"): Scoped(
        P.CUSTOMER_VIEW,
        lambda s, n: (_projected_customer_url(s, n), {"wait_for_position": _head(s)}, None),
    ),
    ("GET", "/reseller/api/customers/{customer_id}/contacts"): Scoped(
        P.CUSTOMER_VIEW, lambda s, n: (f"{_projected_customer_url(s, n)}/contacts", None, None)
    ),
    ("POST", "/reseller/api/customers/{customer_id}/contacts"): Scoped(
        P.CUSTOMER_EDIT,
        lambda s, n: (
            f"{_projected_customer_url(s, n)}/contacts",
            None,
            {"contact_type": _contact_type(s), "name": "M"},
        ),
    ),
    ("PUT", "/reseller/api/customers/{customer_id}/contacts/{contact_id}"): Scoped(
        P.CUSTOMER_EDIT,
        lambda s, n: (_contact(s, n), None, {"contact_type": _contact_type(s), "name": "N"}),
    ),
    ("DELETE", "/reseller/api/customers/{customer_id}/contacts/{contact_id}"): Scoped(
        P.CUSTOMER_EDIT, lambda s, n: (_contact(s, n), None, None)
    ),
    ("GET", "/reseller/api/contact-types"): Scoped(
        P.CUSTOMER_VIEW, lambda s, n: ("/reseller/api/contact-types", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/contact-types"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            "/reseller/api/contact-types",
            None,
            {"name": f"matrix_{uuid.uuid4().hex[:8]}", "label": "Matrix"},
        ),
        isp_only=True,
    ),
    ("POST", "/reseller/api/contact-types/requests"): Scoped(
        P.CUSTOMER_EDIT,
        lambda s, n: (
            "/reseller/api/contact-types/requests",
            None,
            {"name": f"matrix_{uuid.uuid4().hex[:8]}", "label": "Matrix", "reseller_id": n},
        ),
    ),
    ("POST", "/reseller/api/contact-types/requests/{reseller_id}/{name}/decision"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            f"/reseller/api/contact-types/requests/{n}/{_requested_contact_type(s, n)}/decision",
            None,
            {"approved": True},
        ),
        isp_only=True,
    ),
    ("PATCH", "/reseller/api/customers/{customer_id}"): Scoped(
        P.CUSTOMER_EDIT,
        lambda s, n: (
            f"/reseller/api/customers/{_customer(s, n)['customer_id']}",
            None,
            {"city": "Abuja"},
        ),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/status"): Scoped(
        P.CUSTOMER_EDIT,
        lambda s, n: (
            f"/reseller/api/customers/{_customer(s, n)['customer_id']}/status",
            None,
            {"status": "active"},
        ),
    ),
    ("GET", "/reseller/api/credit-account"): Scoped(
        P.CREDIT_VIEW, lambda s, n: ("/reseller/api/credit-account", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/resellers/{reseller_id}/credit-account/charges"): Scoped(
        P.CREDIT_CHARGE,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/credit-account/charges",
            None,
            {"amount": "1.00", "currency": "USD", "description": "matrix"},
        ),
    ),
    ("POST", "/reseller/api/resellers/{reseller_id}/credit-account/payments"): Scoped(
        P.CREDIT_PAYMENT,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/credit-account/payments",
            None,
            {"amount": "1.00", "currency": "USD", "method": "cash"},
        ),
    ),
    ("GET", "/reseller/api/ledger/trial-balance"): Scoped(
        P.LEDGER_VIEW, lambda s, n: ("/reseller/api/ledger/trial-balance", {"reseller_id": n}, None)
    ),
    ("GET", "/reseller/api/ledger/accounts"): Scoped(
        P.LEDGER_VIEW, lambda s, n: ("/reseller/api/ledger/accounts", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/users"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (
            "/reseller/api/users",
            None,
            {
                "reseller_id": n,
                "username": f"m{uuid.uuid4().hex[:8]}",
                "email": "m@example.com",
                "role": "readonly",
                "permissions": ["customer_view"],
            },
        ),
    ),
    ("GET", "/reseller/api/users"): Scoped(
        P.USER_VIEW, lambda s, n: ("/reseller/api/users", {"reseller_id": n}, None)
    ),
    ("GET", "/reseller/api/users/{user_id}"): Scoped(
        P.USER_VIEW, lambda s, n: (f"/reseller/api/users/{_user(s, n)}", None, None)
    ),
    ("PATCH", "/reseller/api/users/{user_id}"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (f"/reseller/api/users/{_user(s, n)}", None, {"department": "Billing"}),
    ),
    ("POST", "/reseller/api/users/{user_id}/disable"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (f"/reseller/api/users/{_user(s, n)}/disable", None, {"reason": "matrix"}),
    ),
    ("POST", "/reseller/api/users/{user_id}/enable"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (f"/reseller/api/users/{_disabled_user(s, n)}/enable", None, None),
    ),
    ("POST", "/reseller/api/users/{user_id}/reset-password"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (f"/reseller/api/users/{_user(s, n)}/reset-password", None, None),
    ),
    ("POST", "/reseller/api/users/{user_id}/grants"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (
            f"/reseller/api/users/{_user(s, n)}/grants",
            None,
            {"permission": "customer_view", "expires_at": "2099-01-01T00:00:00Z"},
        ),
    ),
    ("POST", "/reseller/api/users/{user_id}/sessions/revoke"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (f"/reseller/api/users/{_user(s, n)}/sessions/revoke", None, None),
    ),
    ("PATCH", "/reseller/api/settings/security"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (
            "/reseller/api/settings/security",
            {"reseller_id": n},
            {"require_two_factor": False},
        ),
    ),
    ("POST", "/reseller/api/tariffs"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            "/reseller/api/tariffs",
            None,
            {
                "service_type": "voice",
                "name": "Voice",
                "wholesale_price": "5.00",
                "currency": "USD",
            },
        ),
        isp_only=True,
    ),
    ("GET", "/reseller/api/tariffs"): Scoped(
        P.BILLING_VIEW, lambda s, n: ("/reseller/api/tariffs", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/resellers/{reseller_id}/tariffs"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/tariffs",
            None,
            {"tariff_id": _tariffs_for(s, n)[1]},
        ),
        isp_only=True,
    ),
    ("POST", "/reseller/api/pricing"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            "/reseller/api/pricing",
            None,
            {
                "reseller_id": n,
                "service_type": "internet",
                "tariff_id": _tariffs_for(s, n)[0],
                "markup_type": "percent",
                "markup_value": "25.00",
                "effective_from": "2026-01-01",
            },
        ),
    ),
    ("GET", "/reseller/api/pricing/quote"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (
            "/reseller/api/pricing/quote",
            {"reseller_id": n, "tariff_id": _tariffs_for(s, n)[0]},
            None,
        ),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/services"): Scoped(
        P.SERVICE_PROVISION,
        lambda s, n: (
            f"/reseller/api/customers/{_customer(s, n)['customer_id']}/services",
            None,
            {"tariff_id": _tariffs_for(s, n)[0]},
        ),
    ),
    ("GET", "/reseller/api/customers/{customer_id}/services"): Scoped(
        P.CUSTOMER_VIEW,
        lambda s, n: (f"/reseller/api/customers/{_service(s, n)[0]}/services", None, None),
    ),
    ("POST", "/reseller/api/services/{service_id}/status"): Scoped(
        P.SERVICE_PROVISION,
        lambda s, n: (
            f"/reseller/api/services/{_service(s, n)[1]}/status",
            None,
            {"status": "active"},
        ),
    ),
    ("POST", "/reseller/api/services/{service_id}/tariff"): Scoped(
        P.SERVICE_MODIFY,
        lambda s, n: (
            f"/reseller/api/services/{_service(s, n)[1]}/tariff",
            None,
            {"tariff_id": _tariffs_for(s, n)[1]},
        ),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/invoices"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            f"/reseller/api/customers/{_service(s, n, active=True)[0]}/invoices",
            None,
            PERIOD,
        ),
    ),
    ("GET", "/reseller/api/customers/{customer_id}/invoices/proforma"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (
            f"/reseller/api/customers/{_service(s, n, active=True)[0]}/invoices/proforma",
            PERIOD,
            None,
        ),
    ),
    ("GET", "/reseller/api/customers/{customer_id}/account"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (f"/reseller/api/customers/{_invoice(s, n)[0]}/account", None, None),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/payments"): Scoped(
        P.PAYMENT_PROCESS,
        lambda s, n: (
            f"/reseller/api/customers/{_invoice(s, n)[0]}/payments",
            None,
            {"amount": "5.00", "currency": "USD", "method": "card"},
        ),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/payments/failed"): Scoped(
        P.PAYMENT_PROCESS,
        lambda s, n: (
            f"/reseller/api/customers/{_customer(s, n)['customer_id']}/payments/failed",
            None,
            {
                "payment_id": "p1",
                "amount": "5.00",
                "currency": "USD",
                "method": "card",
                "reason": "declined",
            },
        ),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/credit-notes"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            lambda c, i: (
                f"/reseller/api/customers/{c}/credit-notes",
                None,
                {"invoice_id": i, "net": "1.00", "currency": "USD", "reason": "m"},
            )
        )(*_invoice(s, n)),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/refunds"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            f"/reseller/api/customers/{_customer_with_credit(s, n)}/refunds",
            None,
            {"amount": "1.00", "currency": "USD", "method": "cash"},
        ),
    ),
    ("POST", "/reseller/api/billing/runs"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            "/reseller/api/billing/runs",
            {"reseller_id": n},
            {"period_start": "2026-03-01", "period_end": "2026-03-31"},
        ),
    ),
    ("PUT", "/reseller/api/customers/{customer_id}/billing-cycle"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            f"/reseller/api/customers/{_customer(s, n)['customer_id']}/billing-cycle",
            None,
            {"billing_day": 15},
        ),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/payment-plans"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            lambda c, i: (
                f"/reseller/api/customers/{c}/payment-plans",
                None,
                {"invoice_ids": [i], "installments": 2, "first_due_on": NEXT_MONTH[0].isoformat()},
            )
        )(*_invoice(s, n)),
    ),
    ("PATCH", "/reseller/api/settings/payments"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            "/reseller/api/settings/payments",
            {"reseller_id": n},
            {"crypto_payments_enabled": True},
        ),
    ),
    ("POST", "/reseller/api/books/close"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: ("/reseller/api/books/close", {"reseller_id": n}, {"through": _next_close(n)}),
    ),
    ("PATCH", "/reseller/api/resellers/{reseller_id}/credit-account/policy"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/credit-account/policy",
            None,
            {"warning_pct": "70"},
        ),
    ),
    ("POST", "/reseller/api/resellers/{reseller_id}/credit-account/emergency-credit"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            _no_pending_emergency(s, n)
            or f"/reseller/api/resellers/{n}/credit-account/emergency-credit",
            None,
            {"amount": "10.00", "currency": "USD", "reason": "m"},
        ),
    ),
    (
        "POST",
        "/reseller/api/resellers/{reseller_id}/credit-account/emergency-credit/{request_id}/grant",
    ): Scoped(
        P.CREDIT_CHARGE,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/credit-account/emergency-credit/"
            f"{_pending_emergency(s, n)}/grant",
            None,
            None,
        ),
    ),
    ("POST", "/reseller/api/resellers/{reseller_id}/credit-account/limit-increases"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/credit-account/limit-increases",
            None,
            {
                "new_limit": "2000.00",
                "currency": "USD",
                "kind": "permanent",
                "justification": "growth",
            },
        ),
    ),
    (
        "POST",
        "/reseller/api/resellers/{reseller_id}/credit-account/limit-increases/{request_id}"
        "/decision",
    ): Scoped(
        P.CREDIT_CHARGE,
        lambda s, n: (
            f"/reseller/api/resellers/{n}/credit-account/limit-increases/{_increase_request(s, n)}"
            "/decision",
            None,
            {"approved": False},
        ),
    ),
    ("GET", "/reseller/api/invoices"): Scoped(
        P.BILLING_VIEW, lambda s, n: ("/reseller/api/invoices", {"reseller_id": n}, None)
    ),
    ("GET", "/reseller/api/services"): Scoped(
        P.CUSTOMER_VIEW, lambda s, n: ("/reseller/api/services", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/sub-resellers"): Scoped(
        P.SUB_RESELLER_MANAGE,
        lambda s, n: (
            "/reseller/api/sub-resellers",
            None,
            {"parent_reseller_id": n, "name": "Sub"},
        ),
    ),
    ("PATCH", "/reseller/api/sub-resellers/{reseller_id}"): Scoped(
        P.SUB_RESELLER_MANAGE,
        lambda s, n: (
            f"/reseller/api/sub-resellers/{_sub_reseller(s, n)}",
            None,
            {"inherited_branding": True},
        ),
    ),
    ("GET", "/reseller/api/sub-resellers"): Scoped(
        P.SUB_RESELLER_MANAGE,
        lambda s, n: ("/reseller/api/sub-resellers", {"reseller_id": n}, None),
    ),
    ("GET", "/reseller/api/commissions"): Scoped(
        P.BILLING_VIEW, lambda s, n: ("/reseller/api/commissions", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/commissions/{commission_id}/approve"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (f"/reseller/api/commissions/{_cleared_commission(s, n)}/approve", None, None),
    ),
    ("GET", "/reseller/api/roles"): Scoped(
        P.USER_VIEW, lambda s, n: ("/reseller/api/roles", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/roles"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (
            "/reseller/api/roles",
            {"reseller_id": n},
            {
                "name": f"r{uuid.uuid4().hex[:8]}",
                "base_role": "user",
                "permissions": ["customer_view"],
            },
        ),
    ),
    ("DELETE", "/reseller/api/roles/{name}"): Scoped(
        P.USER_MANAGE,
        lambda s, n: (f"/reseller/api/roles/{_custom_role(s, n)}", {"reseller_id": n}, None),
    ),
    ("GET", "/reseller/api/activity/logins"): Scoped(
        P.ACTIVITY_VIEW, lambda s, n: ("/reseller/api/activity/logins", {"reseller_id": n}, None)
    ),
    ("GET", "/reseller/api/activity/team"): Scoped(
        P.ACTIVITY_VIEW, lambda s, n: ("/reseller/api/activity/team", {"reseller_id": n}, None)
    ),
    ("POST", "/reseller/api/resellers/{reseller_id}/commission-plans"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (f"/reseller/api/resellers/{n}/commission-plans", None, _next_plan(n)),
        isp_only=True,
    ),
    ("GET", "/reseller/api/resellers/{reseller_id}/commission-plans"): Scoped(
        P.BILLING_VIEW, lambda s, n: (f"/reseller/api/resellers/{n}/commission-plans", None, None)
    ),
    ("POST", "/reseller/api/commissions/calculations"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            "/reseller/api/commissions/calculations",
            None,
            {"reseller_id": n, "period": "2024-01"},
        ),
        isp_only=True,
    ),
    ("GET", "/reseller/api/commissions/consolidated"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: ("/reseller/api/commissions/consolidated", {"reseller_id": n}, None),
    ),
    ("POST", "/reseller/api/customers/{customer_id}/chargebacks"): Scoped(
        P.BILLING_MANAGE, _chargeback
    ),
    ("POST", "/reseller/api/customers/{customer_id}/erase"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (f"/reseller/api/customers/{_closed_customer(s, n)}/erase", None, None),
    ),
    ("GET", "/reseller/api/audit/events"): Scoped(
        P.AUDIT_VIEW,
        lambda s, n: ("/reseller/api/audit/events", {"reseller_id": n, "limit": 5}, None),
        isp_only=True,
    ),
    ("GET", "/reseller/api/audit/export"): Scoped(
        P.AUDIT_VIEW,
        lambda s, n: ("/reseller/api/audit/export", {"reseller_id": n, "format": "csv"}, None),
        isp_only=True,
    ),
    ("GET", "/reseller/api/commissions/payout-schedule"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: ("/reseller/api/commissions/payout-schedule", {"reseller_id": n}, None),
    ),
    ("PUT", "/reseller/api/commissions/payout-schedule"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            "/reseller/api/commissions/payout-schedule",
            {"reseller_id": n},
            {"frequency": "quarterly", "processing_day": 16, "minimum_threshold": "75.00"},
        ),
    ),
    ("GET", "/reseller/api/tax-profile"): Scoped(
        P.BILLING_VIEW, lambda s, n: ("/reseller/api/tax-profile", {"reseller_id": n}, None)
    ),
    ("PUT", "/reseller/api/tax-profile"): Scoped(
        P.BILLING_MANAGE,
        lambda s, n: (
            "/reseller/api/tax-profile",
            {"reseller_id": n},
            {"legal_name": "Matrix Ltd", "address": "1 Matrix Way", "country": "NG"},
        ),
    ),
    ("POST", "/reseller/api/fx-rates"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            "/reseller/api/fx-rates",
            None,
            {"base": "USD", "quote": "EUR", "rate": "0.9"},
        ),
        isp_only=True,
    ),
    ("GET", "/reseller/api/commissions/payouts"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: ("/reseller/api/commissions/payouts", {"reseller_id": n}, None),
    ),
    ("GET", "/reseller/api/commissions/payouts/{payout_id}"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (
            f"/reseller/api/commissions/payouts/{_payout(s, n)}",
            {"wait_for_position": _head(s)},
            None,
        ),
    ),
    ("GET", "/reseller/api/commissions/statements"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (
            _payout(s, n) and "/reseller/api/commissions/statements",
            {"reseller_id": n, "period": "2027-01", "wait_for_position": _head(s)},
            None,
        ),
    ),
    ("GET", "/reseller/api/dashboard"): Scoped(P.REPORT_VIEW, _reports("dashboard")),
    ("GET", "/reseller/api/dashboard/financial"): Scoped(
        P.REPORT_VIEW, _reports("dashboard/financial")
    ),
    ("GET", "/reseller/api/reports/{kind}"): Scoped(P.REPORT_VIEW, _reports("reports/revenue")),
    ("GET", "/reseller/api/reports/schedules"): Scoped(
        P.REPORT_VIEW, _reports("reports/schedules")
    ),
    ("POST", "/reseller/api/reports/schedules"): Scoped(
        P.REPORT_SCHEDULE,
        lambda s, n: (
            "/reseller/api/reports/schedules",
            None,
            {"kind": "churn", "format": "pdf", "frequency": "quarterly", "reseller_id": n},
        ),
    ),
    ("DELETE", "/reseller/api/reports/schedules/{schedule_id}"): Scoped(
        P.REPORT_SCHEDULE,
        lambda s, n: (f"/reseller/api/reports/schedules/{_report_schedule(s, n)}", None, None),
    ),
    ("GET", "/reseller/api/reports/files"): Scoped(
        P.REPORT_VIEW, lambda s, n: ("/reseller/api/reports/files", {"reseller_id": n}, None)
    ),
    ("GET", "/reseller/api/reports/files/{file_id}"): Scoped(
        P.REPORT_VIEW,
        lambda s, n: (f"/reseller/api/reports/files/{_report_file(s, n)}", None, None),
    ),
    ("POST", "/reseller/api/commissions/disputes"): Scoped(
        P.COMMISSION_DISPUTE,
        lambda s, n: (
            "/reseller/api/commissions/disputes",
            None,
            {
                "reseller_id": n,
                "items": [
                    {
                        "commission_id": approved_commission(s, n, _api_now()),
                        "corrected_base_amount": "20.00",
                    }
                ],
                "reason": "matrix",
            },
        ),
    ),
    ("GET", "/reseller/api/commissions/disputes"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: ("/reseller/api/commissions/disputes", {"reseller_id": n}, None),
    ),
    ("GET", "/reseller/api/commissions/disputes/{dispute_id}"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (
            f"/reseller/api/commissions/disputes/{_dispute(s, n)['dispute_id']}",
            {"wait_for_position": _head(s)},
            None,
        ),
    ),
    ("POST", "/reseller/api/commissions/disputes/{dispute_id}/documents"): Scoped(
        P.COMMISSION_DISPUTE,
        lambda s, n: (
            f"/reseller/api/commissions/disputes/{_dispute(s, n)['dispute_id']}/documents",
            None,
            {"filename": "m.txt", "content_base64": "bWF0cml4"},
        ),
    ),
    ("GET", "/reseller/api/commissions/disputes/{dispute_id}/documents/{document_id}"): Scoped(
        P.BILLING_VIEW,
        lambda s, n: (
            _dispute_document_url(_dispute(s, n, document=True)),
            None,
            None,
        ),
    ),
    ("POST", "/reseller/api/commissions/disputes/{dispute_id}/review"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            f"/reseller/api/commissions/disputes/{_dispute(s, n)['dispute_id']}/review",
            None,
            {},
        ),
    ),
    ("POST", "/reseller/api/commissions/disputes/{dispute_id}/complex"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            f"/reseller/api/commissions/disputes/{_dispute(s, n)['dispute_id']}/complex",
            None,
            {
                "review_due_on": (_api_now().date() + timedelta(days=25)).isoformat(),
                "reason": "matrix",
            },
        ),
    ),
    ("POST", "/reseller/api/commissions/disputes/{dispute_id}/escalate"): Scoped(
        P.COMMISSION_DISPUTE,
        lambda s, n: (
            f"/reseller/api/commissions/disputes/{_dispute(s, n)['dispute_id']}/escalate",
            None,
            {"reason": "matrix"},
        ),
    ),
    ("POST", "/reseller/api/commissions/disputes/{dispute_id}/resolve"): Scoped(
        P.RESELLER_MANAGE,
        lambda s, n: (
            f"/reseller/api/commissions/disputes/"
            f"{_dispute(s, n, 'under_review')['dispute_id']}/resolve",
            None,
            {"decision": "rejected", "note": "matrix"},
        ),
    ),
    ("GET", "/reseller/api/statements/1099-nec"): Scoped(
        P.REPORT_VIEW,
        lambda s, n: (
            "/reseller/api/statements/1099-nec",
            {"tax_year": 2026, "reseller_id": n},
            None,
        ),
    ),
    ("GET", "/reseller/api/statements/vat"): Scoped(
        P.REPORT_VIEW,
        lambda s, n: (
            "/reseller/api/statements/vat",
            {"year": 2026, "quarter": 1, "reseller_id": n},
            None,
        ),
    ),
}

POLICY.update(support_policy(Scoped))  # the support desk's routes (issue 15)
POLICY.update(notifications_policy(Scoped))  # the notification centre (issue 16)
POLICY.update(webhooks_policy(Scoped, Own))  # webhook subscriptions and deliveries (issue 16)

_api_clock = api_clock  # one list: the support builders read the same clock


@pytest.fixture(autouse=True)
def _remember_api_clock(client):
    """Disputes open within 5 business days of approval on the API's clock, which other tests
    move forward: builders approve on that clock."""
    _api_clock[:] = [client.app.state.services.clock]


def _api_now() -> datetime:
    return _api_clock[0]() if _api_clock else datetime.now(UTC)


def _dispute(store: Any, number: int, state: str = "submitted", document: bool = False) -> Any:
    return dispute_in_state(store, number, _api_now(), state, document)


def _dispute_document_url(dispute: dict[str, Any]) -> str:
    (document,) = dispute["documents"]
    return (
        f"/reseller/api/commissions/disputes/{dispute['dispute_id']}/documents/"
        f"{document['document_id']}"
    )


PRINCIPALS = ["admin", "manager", "user", "readonly", "narrow_token", "admin_session", "isp"]
PRINCIPALS.append("finance_auditor")  # the ISP realm's read-only auditor
ISP_REALM = ("isp", "finance_auditor")
TARGETS = ["own", "foreign", "child"]


@dataclass
class World:
    own: int
    foreign: int
    child: int
    headers: dict[str, dict[str, str]]
    permissions: dict[str, frozenset[P]]


@pytest.fixture(scope="module")
def world(store, client, isp_headers) -> World:
    parent = new_reseller(store, roles=(Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY))
    foreign = new_reseller(store, roles=())
    child = new_reseller(store, roles=(), parent=parent.number)
    change_security_settings(
        store, context(), SecuritySettings(manage_sub_resellers=True), parent.number
    )
    narrow = issue_token(
        store,
        context(),
        IssueToken(
            label="narrow",
            role=Role.MANAGER,
            reseller_id=parent.number,
            permissions=["customer_view"],
        ),
    )
    admin_user = client.post(  # only a higher rank (the master ISP) adds a reseller's admin
        "/reseller/api/users",
        headers=isp_headers,
        json={
            "reseller_id": parent.number,
            "username": f"matrix.{uuid.uuid4().hex[:6]}",
            "email": "admin@example.com",
            "role": "admin",
            "password": PASSWORD,
        },
    ).json()
    session = (
        client_from(client.app.state.services, fresh_ip())
        .post(
            "/reseller/auth/login",
            json={
                "username": admin_user["username"],
                "password": PASSWORD,
                "reseller_code": parent.code,
            },
        )
        .json()
    )
    headers = {
        role.value: parent.headers(role)
        for role in (Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY)
    }
    headers["narrow_token"] = {"Authorization": f"Bearer {json.loads(narrow.body)['token']}"}
    headers["admin_session"] = {"Authorization": f"Bearer {session['session_token']}"}
    headers["isp"] = isp_headers
    auditor = issue_token(store, context(), IssueToken(label="auditor", role=Role.FINANCE_AUDITOR))
    headers["finance_auditor"] = {"Authorization": f"Bearer {json.loads(auditor.body)['token']}"}
    permissions = {role.value: ROLE_PERMISSIONS[role] for role in Role}
    permissions["narrow_token"] = frozenset({P.CUSTOMER_VIEW})
    permissions["admin_session"] = ROLE_PERMISSIONS[Role.ADMIN]
    permissions["isp"] = ROLE_PERMISSIONS[Role.ISP_ADMIN]
    return World(parent.number, foreign.number, child.number, headers, permissions)


def openapi_routes(client) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in client.app.openapi()["paths"].items() for m in ops}


def test_every_route_has_a_policy(client):
    missing = openapi_routes(client) - POLICY.keys()
    stale = POLICY.keys() - openapi_routes(client)
    assert not missing, f"routes without an authorization policy: {sorted(missing)}"
    assert not stale, f"policies for routes that no longer exist: {sorted(stale)}"


def expected_status(world: World, principal: str, target: str, policy: Scoped) -> str:
    permissions = world.permissions[principal]
    permission = policy.permission
    if policy.isp_only and principal not in ISP_REALM:
        return "403"
    if principal not in ISP_REALM:
        if target == "foreign":
            return "404"
        if target == "child" and P.SUB_RESELLER_MANAGE not in permissions:
            return "404"
    if permission is not None and permission not in permissions:
        return "403"
    return "2xx"


SCOPED = sorted((k for k, v in POLICY.items() if isinstance(v, Scoped)), key=str)


@pytest.mark.parametrize("route", SCOPED, ids=[f"{m} {p}" for m, p in SCOPED])
def test_matrix(route, world, client, store):
    policy: Scoped = POLICY[route]
    method, _ = route
    outcomes = {}
    for principal in PRINCIPALS:
        for target in TARGETS:
            number = getattr(world, target)
            url, params, body = policy.build(store, number)
            response = client.request(
                method, url, params=params, json=body, headers=world.headers[principal]
            )
            got = "2xx" if 200 <= response.status_code < 300 else str(response.status_code)
            want = expected_status(world, principal, target, policy)
            if got != want:
                outcomes[(principal, target)] = (want, got, response.text[:200])
    assert not outcomes, outcomes


OWN = sorted((k for k, v in POLICY.items() if isinstance(v, Own)), key=str)


@pytest.mark.parametrize("route", OWN, ids=[f"{m} {p}" for m, p in OWN])
def test_own_routes_answer_every_principal(route, world, client, store):
    policy: Own = POLICY[route]
    method, _ = route
    refused = {}
    for principal in PRINCIPALS:
        url, params, body = policy.build(store)
        response = client.request(
            method, url, params=params, json=body, headers=world.headers[principal]
        )
        if not 200 <= response.status_code < 300:
            refused[principal] = (response.status_code, response.text[:200])
    assert not refused, refused


@pytest.mark.parametrize(
    "route", sorted(POLICY, key=str), ids=[f"{m} {p}" for m, p in sorted(POLICY, key=str)]
)
def test_no_credentials_means_401_except_public_routes(route, client, store, world):
    method, path = route
    policy = POLICY[route]
    if policy == PUBLIC:
        return
    if isinstance(policy, Scoped):
        url, params, body = policy.build(store, world.own)
    elif isinstance(policy, Own):
        url, params, body = policy.build(store)
    else:
        url, params, body = path.replace("{session_id}", str(uuid.uuid4())), None, {}
    response = client.request(method, url, params=params, json=body)
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("route", sorted(k for k, v in POLICY.items() if v == SESSION_ONLY))
def test_session_routes_refuse_api_tokens(route, client, world):
    method, path = route
    url = path.replace("{session_id}", str(uuid.uuid4()))
    body = {
        "password": PASSWORD,
        "code": "123456",
        "current_password": PASSWORD,
        "new_password": "Another-Pass-99",
    }
    if path.endswith("/confirm"):
        body = {"code": "123456"}
    elif path.endswith("/password"):
        body = {"current_password": PASSWORD, "new_password": "Another-Pass-99"}
    elif path.endswith(("/enroll", "/disable")):
        body = {"password": PASSWORD}
    response = client.request(
        method, url, json=body if method == "POST" else None, headers=world.headers["admin"]
    )
    assert response.status_code == 403, response.text
