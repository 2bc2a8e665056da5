"""A customer's billing account: opening it on first use, its views, and the frame every
command on it shares (load in scope, check permission, act, answer with the account)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from commands.customers.customers import load_customer_in_scope
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.billing.customer_account import (
    CustomerAccount,
    customer_account_id,
)
from domain.customers.customer import Customer
from domain.partners.reseller import Reseller, reseller_id


def open_account(store: Store, customer: Customer, currency: str) -> CustomerAccount:
    account_id = customer_account_id(customer.id)
    if exists(store, account_id):
        return load(store, account_id, CustomerAccount, "customer account")
    return CustomerAccount(customer.id, customer.reseller_number, customer.tenant_number, currency)


def invoice_view(account: CustomerAccount, invoice_id: str) -> dict[str, Any]:
    invoice = account.invoices[invoice_id]
    return {
        "invoice_id": invoice_id,
        "number": invoice["number"],
        "issued_on": invoice["issued_on"].isoformat(),
        "currency": account.currency,
        "net": str(invoice["net"].amount),
        "tax": str(invoice["tax"].amount),
        "tax_rate": str(invoice["tax_rate"]),
        "total": str(invoice["total"].amount),
        "outstanding": str(invoice["outstanding"].amount),
        "paid": str(invoice["paid"].amount),
        "credited": str(invoice["credited"].amount),
    }


def account_view(account: CustomerAccount, today: date) -> dict[str, Any]:
    return {
        "customer_id": str(account.customer_id),
        "currency": account.currency,
        "outstanding": str(account.outstanding.amount),
        "credit_balance": str(account.credit_balance.amount),
        "balance": str(account.balance.amount),
        "payment_plans": {
            plan_id: [
                {
                    "due_on": i["due_on"].isoformat(),
                    "amount": str(i["amount"].amount),
                    "status": i["status"],
                }
                for i in account.plan_status(plan_id, today)
            ]
            for plan_id in account.plans
        },
        "invoices": [
            invoice_view(account, i)
            for i in sorted(
                account.invoices,
                key=lambda k: (account.invoices[k]["issued_on"], account.invoices[k]["number"]),
            )
        ],
        "version": account.version,
    }


def payment_source(account: CustomerAccount, payment_id: str) -> str:
    return f"payment:{account.id}:{payment_id}"


def customer_money_command(
    store: Store,
    context: RequestContext,
    customer_id: UUID,
    permission: Permission,
    act: Any,
    name: str,
    request: Any,
    status: int = 200,
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(permission)
        reseller = load(store, reseller_id(customer.reseller_number), Reseller, "reseller")
        account = open_account(store, customer, reseller.currency)
        result = act(account, customer, reseller) or {}
        extra, more = result if isinstance(result, tuple) else (result, [])
        body = account_view(account, context.received_at.date()) | extra
        return Outcome(
            [account, *more], body, customer.tenant_number, customer.reseller_number, status
        )

    return run_command(store, context, handle, fingerprint(name, customer_id, request))


def customer_account(store: Store, context: RequestContext, customer_id: UUID) -> dict[str, Any]:
    customer = load_customer_in_scope(store, context, customer_id)
    context.principal.require(Permission.BILLING_VIEW)
    account_id = customer_account_id(customer.id)
    if not exists(store, account_id):
        return {
            "customer_id": str(customer.id),
            "invoices": [],
            "outstanding": "0",
            "credit_balance": "0",
            "balance": "0",
        }
    account = load(store, account_id, CustomerAccount, "customer account")
    return account_view(account, context.received_at.date())
