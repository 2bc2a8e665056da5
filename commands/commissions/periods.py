"""Calculating a reseller's period commissions: setup, usage, retention and performance
(seed §5.1). Recurring commissions accrue with each payment instead (commands.commissions.accrual).

For a reseller and a month, every record the plans call for is created once: ids derive from
(type, earning reseller, customer, period or milestone), so running the calculation again (or
twice at once) creates nothing new. Each record is a ledger entry (commission expense against
the reseller's payable) and starts `calculated`, ready for approval: none of them rests on a
payment that could still be reversed.

Which plan version applies: setup on the day the customer became active, usage on the
invoice's period start, retention on the anniversary, performance on the period's last day.
Percentages (setup and usage rates) pass through along the sub-reseller chain like recurring
commissions: the customer's reseller earns its rate, each ancestor its rate minus its child's,
capped so the total never exceeds the top-level rate. Fixed amounts (setup amounts, retention
bonuses) and performance tiers are the customer's own reseller's alone: nothing passes through.

Facts come from the aggregates' own events (customers, their services' dated histories, their
accounts' invoices and payments), never from a read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from commands.commissions.accrual import commission_view, reseller_chain
from commands.commissions.plans import PlanBook
from commands.customers.directory import registered_customers
from commands.errors import Unprocessable
from commands.models import DATE_MAX, DATE_MIN, DATE_RANGE
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.billing.customer_account import CustomerAccount, customer_account_id
from domain.catalogue.tariffs import CustomerService
from domain.commissions.period_rules import (
    CustomerFacts,
    collected_between,
    first_invoice,
    performance_measure,
    plan_versions_in,
    setup_day,
    usage_base,
    usage_service_types,
)
from domain.commissions.plans import (
    PlanRules,
    active_stretches,
    anniversaries_in,
    capped_rates,
    month_period,
    tier_for,
)
from domain.commissions.records import Commission, commission_on, pass_through_shares
from domain.customers.customer import Customer
from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.money import Money
from domain.partners.reseller import Reseller, reseller_id

MAX_CUSTOMERS = 100_000
FIXED_RATE = Decimal(100)
"""Fixed amounts are recorded as base = the amount at 100%, so base x rate = amount holds."""


def parse_period(value: str) -> tuple[date, date]:
    """'YYYY-MM' -> the month's first and last day; anything else names the field."""
    parts = value.split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not value.isascii():
        raise Unprocessable("period must be a month, YYYY-MM", field="period")
    if not (parts[0].isdigit() and parts[1].isdigit()):
        raise Unprocessable("period must be a month, YYYY-MM", field="period")
    try:
        first, last = month_period(int(parts[0]), int(parts[1]))
    except DomainError as error:
        raise Unprocessable(str(error), field="period") from None
    if not DATE_MIN <= first <= DATE_MAX:
        raise Unprocessable(f"period must be a month {DATE_RANGE}", field="period")
    return first, last


def customers_of(store: Store, reseller_number: int) -> list[UUID]:
    """The reseller's customers, from the event store (nothing depends on a projection)."""
    found = registered_customers(store, reseller_number, MAX_CUSTOMERS)
    if len(found) > MAX_CUSTOMERS:
        raise Unprocessable("too many customers for one calculation", field="reseller_id")
    return found


def customer_facts(store: Store, customer_id: UUID) -> CustomerFacts:
    customer = load(store, customer_id, Customer, "customer")
    histories = []
    service_types = {}
    for service_id in customer.service_ids:
        service = load(store, service_id, CustomerService, "service")
        histories.append(service.history)
        service_types[str(service.id)] = service.service_type
    facts = CustomerFacts(customer.id, active_stretches(histories), service_types)
    account_id = customer_account_id(customer.id)
    if exists(store, account_id):
        for stored in store.events.get(account_id):
            if isinstance(stored, CustomerAccount.InvoiceIssued):
                facts.invoices.append(
                    {
                        "invoice_id": stored.invoice_id,
                        "starts": stored.period_start or stored.issued_on,
                        "lines": stored.lines,
                        "net": stored.net,
                    }
                )
            elif isinstance(stored, CustomerAccount.PaymentReceived):
                facts.payments.append((stored.effective_date, stored.amount))
    return facts


@dataclass
class Calculation:
    """The records one period calls for, created only when not already there."""

    store: Store
    reseller: Reseller
    chain: list[Reseller]
    start: date
    end: date
    plans: PlanBook
    created: list[Commission] = field(default_factory=list)
    existing: int = 0

    @property
    def currency(self) -> str:
        return self.reseller.currency

    def add(
        self,
        key: Sequence[object],
        earner: int,
        customer_id: UUID | None,
        commission_type: str,
        base: Money,
        rate: Decimal,
        amount: Money,
    ) -> None:
        if amount.is_zero:
            return
        record_id = derived_id("commission", commission_type, earner, *key)
        if exists(self.store, record_id) or any(r.id == record_id for r in self.created):
            self.existing += 1
            return
        self.created.append(
            Commission.record(
                record_id,
                earner,
                customer_id,
                commission_type,
                base,
                rate,
                amount,
                (self.start, self.end),
                "calculated",
                None,
                f"period:{self.start.isoformat()}",
            )
        )

    def fixed(
        self, key: Sequence[object], customer_id: UUID | None, kind: str, amount: Decimal
    ) -> None:
        money = Money.of(amount, self.currency)
        self.add(key, self.reseller.number, customer_id, kind, money, FIXED_RATE, money)

    def percentage(
        self, key: Sequence[object], customer_id: UUID, kind: str, base: Money, day: date
    ) -> None:
        """A rate of a base, passed through the chain with each reseller's rate on the day."""
        rated = capped_rates([(r.number, self.plans.rate(r.number, kind, day)) for r in self.chain])
        if rated[-1][1] == 0 or not base.is_positive:
            return
        shares = pass_through_shares(rated, base)
        for (number, rate), (_, share) in zip(rated, shares, strict=True):
            self.add(key, number, customer_id, kind, base, rate, share)

    def setup(self, facts: CustomerFacts) -> None:
        began = setup_day(facts, self.start, self.end)
        if began is None:
            return
        rules = self.plans.rules_on(self.reseller.number, began)
        if rules is not None and rules.setup_amount is not None:
            self.fixed([facts.customer_id], facts.customer_id, "setup", rules.setup_amount)
        first = first_invoice(facts)
        if first is not None:
            self.percentage([facts.customer_id], facts.customer_id, "setup", first["net"], began)

    def usage(self, facts: CustomerFacts) -> None:
        for invoice in facts.invoices:
            if not self.start <= invoice["starts"] <= self.end:
                continue
            rules = self.plans.rules_on(self.reseller.number, invoice["starts"])
            types = usage_service_types(rules)
            base = usage_base(facts, invoice, types, self.currency)
            key = [facts.customer_id, invoice["invoice_id"]]
            self.percentage(key, facts.customer_id, "usage", base, invoice["starts"])

    def retention(self, facts: CustomerFacts) -> None:
        """A bonus for each milestone whose anniversary falls in the period while the service
        is unbroken, by the plan version in force on the anniversary."""

        def rules_on(day: date) -> PlanRules | None:
            return self.plans.rules_on(self.reseller.number, day)

        for version in plan_versions_in(rules_on, self.start, self.end):
            for milestone, began, anniversary in anniversaries_in(
                facts.stretches, version.milestones, self.start, self.end
            ):
                in_force = self.plans.rules_on(self.reseller.number, anniversary)
                if in_force is None or in_force.effective_from != version.effective_from:
                    continue
                key = [facts.customer_id, began, milestone.months]
                self.fixed(key, facts.customer_id, "retention", milestone.amount)

    def performance(self, everyone: list[CustomerFacts]) -> None:
        rules = self.plans.rules_on(self.reseller.number, self.end)
        if rules is None or rules.performance_measure is None:
            return
        collected = collected_between(everyone, self.start, self.end, self.currency)
        measure = performance_measure(rules.performance_measure, everyone, self.end, collected)
        tier = tier_for(rules.tiers, measure)
        if tier is None:
            return
        key = [self.start]
        if tier.amount is not None:
            self.fixed(key, None, "performance", tier.amount)
        elif tier.rate is not None:
            amount = commission_on(collected, tier.rate)
            self.add(key, self.reseller.number, None, "performance", collected, tier.rate, amount)


def calculate_period(
    store: Store, context: RequestContext, reseller_number: int, period: str
) -> CommandResult:
    """Create the period's setup, usage, retention and performance records (master ISP or the
    worker's system principal)."""
    context.principal.require(Permission.RESELLER_MANAGE)
    start, end = parse_period(period)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        calculation = Calculation(
            store, reseller, reseller_chain(store, reseller.number), start, end, PlanBook(store)
        )
        everyone = [customer_facts(store, c) for c in customers_of(store, reseller.number)]
        for facts in everyone:
            calculation.setup(facts)
            calculation.usage(facts)
            calculation.retention(facts)
        calculation.performance(everyone)
        body = {
            "reseller_id": reseller.number,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "created": [commission_view(r) for r in calculation.created],
            "already_calculated": calculation.existing,
        }
        return Outcome(calculation.created, body, reseller.root_number, reseller.number)

    return run_command(
        store, context, handle, fingerprint("calculate_commissions", reseller_number, period)
    )
