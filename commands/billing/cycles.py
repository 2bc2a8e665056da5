"""Billing runs and customers' billing cycles: which period a run bills, and the day each
customer's period starts."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from pydantic import Field

from commands.billing.invoicing import BillingPeriod
from commands.customers.customers import load_customer_in_scope
from commands.errors import Unprocessable
from commands.models import ApiDate, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from domain.access.roles import Permission
from domain.customers.customer import cycle_period


class BillingRun(CommandModel):
    """Either an explicit period for everyone, or `on`: each customer's own billing cycle
    period that contains that date."""

    period_start: ApiDate | None = None
    period_end: ApiDate | None = None
    on: ApiDate | None = None

    def period(self) -> BillingPeriod | None:
        if self.on is not None:
            if self.period_start is not None or self.period_end is not None:
                raise Unprocessable("give either 'on' or a period, not both", field="on")
            return None
        if self.period_start is None or self.period_end is None:
            raise Unprocessable(
                "give 'on' or both period_start and period_end", field="period_start"
            )
        return BillingPeriod(period_start=self.period_start, period_end=self.period_end)


def month_of(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


class SetBillingCycle(CommandModel):
    billing_day: int = Field(ge=1, le=28, description="Day of the month each period starts")


def set_billing_cycle(
    store: Store, context: RequestContext, customer_id: UUID, command: SetBillingCycle
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.BILLING_MANAGE)
        customer.set_billing_cycle(command.billing_day)
        start, end = cycle_period(customer.billing_day, context.received_at.date())
        body = {
            "customer_id": str(customer.id),
            "billing_day": customer.billing_day,
            "current_period": {"start": start.isoformat(), "end": end.isoformat()},
        }
        return Outcome([customer], body, customer.tenant_number, customer.reseller_number)

    return run_command(
        store, context, handle, fingerprint("billing_cycle", customer_id, command.billing_day)
    )
