"""Customers' services (seed §3.3, §4.3): add, activate, hold/suspend, limit, restore,
terminate, upgrade/downgrade. At 100% credit utilization the reseller's `existing_services`
policy governs activations and tariff changes: `restrict` refuses them, `review` records them
flagged for review."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from commands.catalogue.tariffs import load_authorizations, load_tariff
from commands.customers.customers import load_customer_in_scope
from commands.errors import Conflict, NotFound, Unprocessable
from commands.models import ApiDate, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access.roles import Permission
from domain.catalogue.tariffs import CustomerService
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.partners.reseller import Reseller, reseller_id


class AddService(CommandModel):
    tariff_id: int = Field(ge=1)
    region: str | None = Field(default=None, max_length=40)


class ChangeServiceStatus(CommandModel):
    status: Literal["active", "suspended", "limited", "terminated"]
    on: ApiDate | None = Field(default=None, description="When it takes effect; today by default")
    reason: str | None = Field(default=None, max_length=300)


class ChangeTariff(CommandModel):
    tariff_id: int = Field(ge=1)
    on: ApiDate | None = None


PERMISSION_FOR_STATUS = {
    "active": Permission.SERVICE_PROVISION,
    "limited": Permission.SERVICE_MODIFY,
    "suspended": Permission.SERVICE_SUSPEND,
    "terminated": Permission.SERVICE_SUSPEND,
}


def service_view(service: CustomerService) -> dict[str, Any]:
    return {
        "service_id": str(service.id),
        "customer_id": str(service.customer_id),
        "reseller_id": service.reseller_number,
        "tariff_id": service.tariff_number,
        "service_type": service.service_type,
        "status": service.status,
        "history": [
            {"on": h["on"].isoformat(), "status": h["status"], "tariff_id": h["tariff"]}
            for h in service.history
        ],
        "version": service.version,
    }


def _on(
    store: Store, requested: date | None, context: RequestContext, reseller_number: int
) -> date:
    """When a service change takes effect: today by default; it may be scheduled ahead, but
    never dated before the reseller's first business date nor into a closed period."""
    today = context.received_at.date()
    if requested is None:
        return today
    reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
    refusal = reseller.business_date_refusal(requested, today, allow_future=True)
    if refusal is not None:
        raise Unprocessable(f"on {refusal}", field="on")
    return requested


def _credit_gate(store: Store, reseller_number: int, context: RequestContext) -> bool:
    """True when the change must be flagged for review; raises when the policy restricts it."""
    account = load(store, credit_account_id(reseller_number), CreditAccount, "credit account")
    action = account.action_for("existing_services", context.received_at)
    if action == "restrict":
        raise Conflict(
            "the reseller's credit account is at its limit: service changes are restricted",
            field="credit_limit",
        )
    return action == "review"


def add_service(
    store: Store, context: RequestContext, customer_id: UUID, command: AddService
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.SERVICE_PROVISION)
        if customer.status == "inactive":
            raise Unprocessable("the customer is inactive", field="customer_id")
        reseller = load(store, reseller_id(customer.reseller_number), Reseller, "reseller")
        if not load_authorizations(store, reseller).may_sell(command.tariff_id, command.region):
            raise NotFound("tariff not found for this reseller and region", field="tariff_id")
        tariff = load_tariff(store, command.tariff_id)
        if not reseller.may_offer(tariff.service_type):
            raise Unprocessable(
                f"the reseller may not offer {tariff.service_type} services", field="tariff_id"
            )
        service = CustomerService(
            customer_id=customer.id,
            reseller_number=customer.reseller_number,
            tenant_number=customer.tenant_number,
            tariff_number=tariff.number,
            service_type=tariff.service_type,
            added_on=context.received_at.date(),
        )
        customer.attach_service(service.id)
        view = service_view(service)
        return Outcome(
            [customer, service], view, customer.tenant_number, customer.reseller_number, 201
        )

    return run_command(
        store,
        context,
        handle,
        fingerprint("add_service", customer_id, command.model_dump(mode="json")),
    )


def _load_service(store: Store, context: RequestContext, service_id: UUID) -> CustomerService:
    service = load(store, service_id, CustomerService, "service")
    load_customer_in_scope(store, context, service.customer_id)
    return service


def change_service_status(
    store: Store, context: RequestContext, service_id: UUID, command: ChangeServiceStatus
) -> CommandResult:
    def handle() -> Outcome:
        service = _load_service(store, context, service_id)
        context.principal.require(PERMISSION_FOR_STATUS[command.status])
        review = False
        if command.status == "active":
            review = _credit_gate(store, service.reseller_number, context)
        service.change_status(
            command.status,
            _on(store, command.on, context, service.reseller_number),
            command.reason,
            review,
        )
        view = service_view(service) | {"review_required": review}
        return Outcome([service], view, service.tenant_number, service.reseller_number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("service_status", service_id, command.model_dump(mode="json")),
    )


def change_tariff(
    store: Store, context: RequestContext, service_id: UUID, command: ChangeTariff
) -> CommandResult:
    def handle() -> Outcome:
        service = _load_service(store, context, service_id)
        context.principal.require(Permission.SERVICE_MODIFY)
        _credit_gate(store, service.reseller_number, context)
        reseller = load(store, reseller_id(service.reseller_number), Reseller, "reseller")
        if not load_authorizations(store, reseller).may_sell(command.tariff_id, None):
            raise NotFound("tariff not found for this reseller", field="tariff_id")
        service.change_tariff(
            load_tariff(store, command.tariff_id),
            _on(store, command.on, context, service.reseller_number),
        )
        return Outcome(
            [service], service_view(service), service.tenant_number, service.reseller_number
        )

    return run_command(
        store,
        context,
        handle,
        fingerprint("change_tariff", service_id, command.model_dump(mode="json")),
    )


def list_services(store: Store, context: RequestContext, customer_id: UUID) -> list[dict[str, Any]]:
    customer = load_customer_in_scope(store, context, customer_id)
    context.principal.require(Permission.CUSTOMER_VIEW)
    return [
        service_view(load(store, sid, CustomerService, "service")) for sid in customer.service_ids
    ]
