"""Setting and reading resellers' commission plans (the master ISP sets them; seed §5.1).

Each call adds a version effective from a date; nothing is ever edited. Calculations ask which
version was in force on a given day (`rules_on`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from commands.models import Amount, ApiDate, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.commissions.plans import CommissionPlan, PlanRules, commission_plan_id
from domain.partners.reseller import Reseller, reseller_id

Rate = Amount
UsageServiceType = Literal["internet", "voice", "bundle", "value_added"]


class SetupRule(CommandModel):
    amount: Amount | None = Field(default=None, ge=0, examples=["25.00"])
    rate: Rate | None = Field(default=None, ge=0, le=100)


class RateRule(CommandModel):
    rate: Rate = Field(ge=0, le=100, examples=["15.00"])


class UsageRule(RateRule):
    service_types: list[UsageServiceType] = Field(
        default=["voice", "value_added"], min_length=1, max_length=4
    )


class MilestoneRule(CommandModel):
    months: int = Field(ge=1, le=600, examples=[12])
    amount: Amount = Field(ge=0, examples=["50.00"])


class RetentionRule(CommandModel):
    milestones: list[MilestoneRule] = Field(min_length=1, max_length=12)


class TierRule(CommandModel):
    from_: Amount = Field(alias="from", ge=0, examples=["10"])
    amount: Amount | None = Field(default=None, ge=0)
    rate: Rate | None = Field(default=None, ge=0, le=100)


class PerformanceRule(CommandModel):
    measure: Literal["active_customers", "collected_revenue"]
    tiers: list[TierRule] = Field(min_length=1, max_length=20)


class SetCommissionPlan(CommandModel):
    """A new plan version: rules for any of the five types, in force from `effective_from`."""

    effective_from: ApiDate
    setup: SetupRule | None = None
    recurring: RateRule | None = None
    usage: UsageRule | None = None
    retention: RetentionRule | None = None
    performance: PerformanceRule | None = None

    def rules(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        data.pop("effective_from")
        return data


def plan_view(plan: CommissionPlan | None, reseller_number: int) -> dict[str, Any]:
    versions = [] if plan is None else plan.versions
    return {
        "reseller_id": reseller_number,
        "versions": [
            {
                "version": v["version"],
                "effective_from": v["effective_from"].isoformat(),
                **v["rules"],
            }
            for v in versions
        ],
    }


def set_commission_plan(
    store: Store, context: RequestContext, reseller_number: int, command: SetCommissionPlan
) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        plan_id = commission_plan_id(reseller.number)
        plan = (
            load(store, plan_id, CommissionPlan, "commission plan")
            if exists(store, plan_id)
            else CommissionPlan(reseller.number)
        )
        version = plan.add_version(command.effective_from, command.rules())
        body = {"version": version, **plan_view(plan, reseller.number)}
        return Outcome([plan], body, reseller.root_number, reseller.number, 201)

    return run_command(
        store,
        context,
        handle,
        fingerprint("commission_plan", reseller_number, command.model_dump(mode="json")),
    )


def get_commission_plan(
    store: Store, context: RequestContext, reseller_number: int | None
) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_VIEW)
    load(store, reseller_id(number), Reseller, "reseller")
    return plan_view(load_plan(store, number), number)


def load_plan(store: Store, reseller_number: int) -> CommissionPlan | None:
    plan_id = commission_plan_id(reseller_number)
    if not exists(store, plan_id):
        return None
    return load(store, plan_id, CommissionPlan, "commission plan")


class PlanBook:
    """The plans of a chain of resellers, loaded once per command."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.plans: dict[int, CommissionPlan | None] = {}

    def rules_on(self, reseller_number: int, day: date) -> PlanRules | None:
        if reseller_number not in self.plans:
            self.plans[reseller_number] = load_plan(self.store, reseller_number)
        plan = self.plans[reseller_number]
        return None if plan is None else plan.rules_on(day)

    def recurring_rate(self, reseller: Reseller, day: date) -> Decimal | None:
        """The plan's recurring rate on the day; with no plan (or no recurring rule) in force,
        the reseller's `commission_percent`."""
        rules = self.rules_on(reseller.number, day)
        if rules is None or rules.recurring_rate is None:
            return reseller.commission_percent
        return rules.recurring_rate

    def rate(self, reseller_number: int, commission_type: str, day: date) -> Decimal:
        rules = self.rules_on(reseller_number, day)
        return Decimal(0) if rules is None else rules.rate(commission_type)
