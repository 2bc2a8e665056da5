"""The documented response models of the billing, catalogue, services, credit-control,
commission and report-schedule routes (issue 12) are what the routes really answer: each 2xx
body of a real request validates against its route's model, with no field the model lacks.

Where a GET lists the resource a POST creates, the POST body is checked against the GET's
shape too; the known differences between the two are spelled out, not hidden."""

from __future__ import annotations

import json
import types
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from api.routers.billing.schemas import (
    BilledInvoiceOut,
    BillingCycleOut,
    BooksClosedOut,
    ChargebackOut,
    CreditNoteOut,
    CustomerAccountOut,
    FailedPaymentOut,
    NotBilledOut,
    PaymentOut,
    PaymentPlanOut,
    PaymentSettingsOut,
    RefundOut,
)
from api.routers.catalogue.schemas import AuthorizedTariffsOut, PriceListOut, TariffOut
from api.routers.commissions.schemas import CommissionRecordOut
from api.routers.customers.services import ServiceOut, ServiceStatusOut
from api.routers.reporting.schedules import ScheduleOut
from api.schemas import CreditAccountOut
from tests.api.billing_helpers import NEXT_MONTH, TODAY, customer_with_service, period, tariff
from tests.api.helpers import seed_customer
from tests.support.builders import context


def _unexpected_fields(annotation: Any, value: Any, where: str) -> list[str]:
    """Fields of `value` that the annotation's models do not declare, at any depth."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return []
        found = [f"{where}.{key}" for key in sorted(set(value) - set(annotation.model_fields))]
        for name, field in annotation.model_fields.items():
            if name in value:
                found += _unexpected_fields(field.annotation, value[name], f"{where}.{name}")
        return found
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return [
            f
            for arg in args
            if arg is not type(None)
            for f in _unexpected_fields(arg, value, where)
        ]
    if origin is list and isinstance(value, list):
        return [
            f for i, v in enumerate(value) for f in _unexpected_fields(args[0], v, f"{where}[{i}]")
        ]
    if origin is dict and isinstance(value, dict):
        return [f for k, v in value.items() for f in _unexpected_fields(args[1], v, f"{where}.{k}")]
    return []


def exactly(model: type[BaseModel], body: Any) -> None:
    """Validate like `extra="forbid"` all the way down: a missing or an undeclared field fails."""
    model.model_validate(body)
    assert _unexpected_fields(model, body, model.__name__) == []


def answered(response: Any, status: int, model: type[BaseModel]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    exactly(model, body)
    return body


def test_the_strict_check_sees_a_field_the_model_lacks() -> None:
    body = {"start": "2026-01-01", "end": "2026-01-31"}
    exactly(BillingCycleOut, {"customer_id": "c", "billing_day": 1, "current_period": body})
    nested = {"customer_id": "c", "billing_day": 1, "current_period": body | {"days": 31}}
    assert _unexpected_fields(BillingCycleOut, nested, "B") == ["B.current_period.days"]


def test_catalogue_and_services(client: Any, tenant: Any, isp_headers: dict[str, str]) -> None:
    made = client.post(
        "/reseller/api/tariffs",
        headers=isp_headers,
        json={
            "service_type": "internet",
            "name": "Models 20",
            "wholesale_price": "20.00",
            "currency": tenant.currency,
            "regions": ["north", "south"],
        },
    )
    defined = answered(made, 201, TariffOut)
    authorized = client.post(
        f"/reseller/api/resellers/{tenant.number}/tariffs",
        headers=isp_headers,
        json={"tariff_id": defined["tariff_id"], "regions": ["north"]},
    )
    answered(authorized, 200, AuthorizedTariffsOut)
    listed = client.get("/reseller/api/tariffs", headers=tenant.headers()).json()["tariffs"]
    (item,) = [i for i in listed if i["tariff_id"] == defined["tariff_id"]]
    # Known difference: the catalogue's items add the regions authorized for this reseller.
    assert set(item) - set(TariffOut.model_fields) == {"authorized_regions"}
    assert {k: item[k] for k in defined} == defined

    priced = client.post(
        "/reseller/api/pricing",
        headers=tenant.headers(),
        json={
            "service_type": "internet",
            "tariff_id": defined["tariff_id"],
            "markup_type": "percent",
            "markup_value": "25.00",
            "effective_from": TODAY.isoformat(),
        },
    )
    answered(priced, 201, PriceListOut)

    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()["customer_id"]
    added = client.post(
        f"/reseller/api/customers/{customer}/services",
        json={"tariff_id": defined["tariff_id"]},
        headers=tenant.headers(),
    )
    service = answered(added, 201, ServiceOut)
    activated = client.post(
        f"/reseller/api/services/{service['service_id']}/status",
        json={"status": "active"},
        headers=tenant.headers(),
    )
    answered(activated, 200, ServiceStatusOut)
    other = tariff(client, isp_headers, tenant, "30.00")
    changed = client.post(
        f"/reseller/api/services/{service['service_id']}/tariff",
        json={"tariff_id": other, "on": NEXT_MONTH[0].isoformat()},
        headers=tenant.headers(),
    )
    answered(changed, 200, ServiceOut)
    services = client.get(
        f"/reseller/api/customers/{customer}/services", headers=tenant.headers()
    ).json()
    for listed_service in services:  # the GET of a customer's services: the POST's shape
        exactly(ServiceOut, listed_service)
    assert [s["service_id"] for s in services] == [service["service_id"]]


def test_invoices_and_money_commands(client: Any, tenant: Any, isp_headers: dict[str, str]) -> None:
    plan = tariff(client, isp_headers, tenant, "10.00")
    customer, _ = customer_with_service(client, tenant, plan)
    invoices = f"/reseller/api/customers/{customer}/invoices"
    issued = client.post(invoices, json=period(), headers=tenant.headers())
    billed = answered(issued, 201, BilledInvoiceOut)
    again = client.post(invoices, json=period(), headers=tenant.headers())
    assert answered(again, 200, NotBilledOut)["already_billed"] is True
    listed = client.get(
        "/reseller/api/invoices",
        params={
            "customer_id": customer,
            "wait_for_position": int(issued.headers["Ledger-Position"]),
        },
        headers=tenant.headers(),
    ).json()
    (row,) = listed
    # Known difference: the invoice list's rows (the read model) carry the account, reseller,
    # period and projection position; billing answers the tax rate and whether it billed before.
    only_listed = {"account_id", "reseller_id", "period_start", "period_end", "position"}
    assert set(row) - set(billed) == only_listed
    assert set(billed) - set(row) == {"tax_rate", "already_billed"}
    differing = {k: (row[k], billed[k]) for k in set(row) & set(billed) if row[k] != billed[k]}
    # Known difference in writing: the read model gives an untouched `credited` as "0".
    assert differing == {"credited": ("0", "0.00")}
    idle = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()["customer_id"]
    nothing = client.post(
        f"/reseller/api/customers/{idle}/invoices", json=period(), headers=tenant.headers()
    )
    assert answered(nothing, 200, NotBilledOut)["invoice_id"] is None

    base = f"/reseller/api/customers/{customer}"
    paid = client.post(
        f"{base}/payments",
        headers=tenant.headers(),
        json={"amount": "50.00", "currency": "USD", "method": "bank_transfer"},
    )
    payment = answered(paid, 201, PaymentOut)
    failed = client.post(
        f"{base}/payments/failed",
        headers=tenant.headers(),
        json={
            "payment_id": "declined-1",
            "amount": "5.00",
            "currency": "USD",
            "method": "card",
            "reason": "insufficient funds",
        },
    )
    answered(failed, 200, FailedPaymentOut)
    noted = client.post(
        f"{base}/credit-notes",
        headers=tenant.headers(),
        json={"invoice_id": billed["invoice_id"], "net": "1.00", "currency": "USD", "reason": "x"},
    )
    answered(noted, 201, CreditNoteOut)
    refunded = client.post(
        f"{base}/refunds",
        headers=tenant.headers(),
        json={"amount": "1.00", "currency": "USD", "method": "bank_transfer"},
    )
    answered(refunded, 201, RefundOut)
    charged_back = client.post(
        f"{base}/chargebacks",
        headers=tenant.headers(),
        json={
            "payment_id": payment["payment_id"],
            "amount": "1.00",
            "currency": "USD",
            "reason": "x",
        },
    )
    answered(charged_back, 201, ChargebackOut)
    account = client.get(f"{base}/account", headers=tenant.headers()).json()
    exactly(CustomerAccountOut, account)  # what the money commands answer, less their extras

    cycle = client.put(f"{base}/billing-cycle", json={"billing_day": 15}, headers=tenant.headers())
    answered(cycle, 200, BillingCycleOut)
    settings = client.patch(
        "/reseller/api/settings/payments",
        json={"crypto_payments_enabled": True},
        headers=tenant.headers(),
    )
    answered(settings, 200, PaymentSettingsOut)


def test_a_payment_plan_and_closing_the_books(
    client: Any, tenant: Any, isp_headers: dict[str, str]
) -> None:
    plan = tariff(client, isp_headers, tenant, "40.00")
    customer, _ = customer_with_service(client, tenant, plan)
    billed = client.post(
        f"/reseller/api/customers/{customer}/invoices", json=period(), headers=tenant.headers()
    ).json()
    agreed = client.post(
        f"/reseller/api/customers/{customer}/payment-plans",
        headers=tenant.headers(),
        json={
            "invoice_ids": [billed["invoice_id"]],
            "installments": 2,
            "first_due_on": NEXT_MONTH[0].isoformat(),
        },
    )
    answered(agreed, 201, PaymentPlanOut)
    closed = client.post(
        "/reseller/api/books/close",
        json={"through": (TODAY - timedelta(days=1)).isoformat()},
        headers=tenant.headers(),
    )
    answered(closed, 200, BooksClosedOut)


def test_credit_account_controls(client: Any, tenant: Any, isp_headers: dict[str, str]) -> None:
    account = f"/reseller/api/resellers/{tenant.number}/credit-account"
    policy = client.patch(f"{account}/policy", json={"warning_pct": "70"}, headers=isp_headers)
    answered(policy, 200, CreditAccountOut)
    requested = client.post(
        f"{account}/emergency-credit",
        json={"amount": "10.00", "currency": "USD", "reason": "models"},
        headers=tenant.headers(),
    )
    answered(requested, 201, CreditAccountOut)
    now = client.get("/reseller/api/credit-account", headers=tenant.headers()).json()
    (pending,) = [k for k, v in now["emergency_requests"].items() if v["status"] == "pending"]
    granted = client.post(f"{account}/emergency-credit/{pending}/grant", headers=isp_headers)
    assert answered(granted, 200, CreditAccountOut)["emergency_credit"] is not None
    increase = client.post(
        f"{account}/limit-increases",
        json={
            "new_limit": "5000.00",
            "currency": "USD",
            "kind": "permanent",
            "justification": "growth",
        },
        headers=tenant.headers(),
    )
    answered(increase, 201, CreditAccountOut)
    now = client.get("/reseller/api/credit-account", headers=tenant.headers()).json()
    requests = now["limit_increase_requests"].items()
    (request_id,) = [k for k, v in requests if v["status"] == "pending"]
    decided = client.post(
        f"{account}/limit-increases/{request_id}/decision",
        json={"approved": False},
        headers=isp_headers,
    )
    answered(decided, 200, CreditAccountOut)


def test_approving_a_commission(client: Any, tenant: Any, store: Any, isp_headers: Any) -> None:
    from commands.billing.payments import CustomerPayment, record_customer_payment
    from commands.commissions.accrual import clear_commission

    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()["customer_id"]
    paid = record_customer_payment(
        store,
        context(),
        uuid.UUID(customer),
        CustomerPayment(amount="10.00", currency="USD", method="cash"),
    )
    commission = json.loads(paid.body)["commissions"][0]
    clear_commission(
        store, context(now=datetime.now(UTC) + timedelta(days=31)), uuid.UUID(commission)
    )
    approved = client.post(f"/reseller/api/commissions/{commission}/approve", headers=isp_headers)
    body = answered(approved, 200, CommissionRecordOut)
    listed = client.get(
        "/reseller/api/commissions",
        params={
            "customer_id": customer,
            "wait_for_position": int(approved.headers["Ledger-Position"]),
        },
        headers=tenant.headers(),
    ).json()
    (row,) = [r for r in listed if r["commission_id"] == commission]
    # Known difference: the list's rows also carry the currency and what a record adjusts.
    assert set(row) - set(CommissionRecordOut.model_fields) == {"currency", "adjusts"}
    assert row["status"] == body["status"]


def test_report_schedules(client: Any, tenant: Any) -> None:
    made = client.post(
        "/reseller/api/reports/schedules",
        json={"kind": "churn", "format": "pdf", "frequency": "quarterly"},
        headers=tenant.headers(),
    )
    schedule = answered(made, 201, ScheduleOut)
    listed = client.get(
        "/reseller/api/reports/schedules",
        params={"wait_for_position": int(made.headers["Ledger-Position"])},
        headers=tenant.headers(),
    ).json()
    (row,) = [r for r in listed if r["schedule_id"] == schedule["schedule_id"]]
    # Known difference: the list's rows also carry the day the schedule was made.
    assert set(row) - set(ScheduleOut.model_fields) == {"created_on"}
    assert {k: row[k] for k in schedule} == schedule
    cancelled = client.delete(
        f"/reseller/api/reports/schedules/{schedule['schedule_id']}", headers=tenant.headers()
    )
    assert answered(cancelled, 200, ScheduleOut)["active"] is False
