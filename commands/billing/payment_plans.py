"""Payment plans: a customer's open invoices paid in installments."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from pydantic import Field

from commands.billing.accounts import (
    customer_money_command,
)
from commands.errors import Unprocessable
from commands.models import ApiDate, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Store
from domain.access.roles import Permission
from domain.billing.customer_account import (
    CustomerAccount,
)
from domain.customers.customer import Customer
from domain.partners.reseller import Reseller


class PaymentPlan(CommandModel):
    invoice_ids: list[str] = Field(min_length=1, max_length=50)
    installments: int = Field(ge=2, le=24)
    first_due_on: ApiDate
    interval_days: int = Field(default=30, ge=7, le=92)


def agree_payment_plan(
    store: Store, context: RequestContext, customer_id: UUID, command: PaymentPlan
) -> CommandResult:
    plan_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"plan:{context.request_id}"))

    def act(account: CustomerAccount, customer: Customer, reseller: Reseller) -> dict[str, Any]:
        if command.first_due_on < context.received_at.date():
            raise Unprocessable("first_due_on cannot be in the past", field="first_due_on")
        account.agree_payment_plan(
            plan_id,
            command.invoice_ids,
            command.installments,
            command.first_due_on,
            command.interval_days,
        )
        return {"plan_id": plan_id}

    return customer_money_command(
        store,
        context,
        customer_id,
        Permission.BILLING_MANAGE,
        act,
        "payment_plan",
        command.model_dump(mode="json"),
        201,
    )
