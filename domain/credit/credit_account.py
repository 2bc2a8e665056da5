"""The reseller's credit account with the ISP (seed §5.4).

Wholesale charges raise what the reseller owes; payments lower it. Every movement is a balanced
journal entry recorded in the event that makes it: a charge debits the reseller's receivable and
credits wholesale revenue; a payment debits cash and credits the receivable. Payments settle the
oldest open charges first. The balance is derived from events alone.

Utilization = balance / effective limit, where the effective limit adds any approved temporary
increase and emergency credit that has not expired *at the time asked about*, so an expiry is
in force at its instant even before the job that records it has run.

Thresholds (configurable within the seed's ranges): warning (default 80%, 50-95) and
restriction (default 90%, 75-99); alerts are raised when utilization crosses 75, 90 and 100%
and the two configured levels. From the restriction level on, the `new_customers` action
governs customer creation; at 100% the `existing_services` and `payments` actions govern those.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.accounts import CASH, WHOLESALE_REVENUE, reseller_receivable
from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.journal import (
    JournalEntry,
    Posting,
    credit,
    debit,
)
from domain.ledger.money import Money, ratio

PAYMENT_METHODS = ("bank_transfer", "card", "cash", "wallet", "crypto", "offset")
NETTING_METHODS = frozenset({"offset"})
"""Methods that net what the ISP owes the reseller against what it is owed: the master ISP's
(and the payout job's) alone, never the reseller's own to record."""


def payment_method_refusal(method: str, recorded_by_isp: bool) -> str | None:
    """Why this recorder may not record a payment by `method`; None when it may."""
    if method in NETTING_METHODS and not recorded_by_isp:
        return f"only the master ISP records {method} payments (netting is not the reseller's)"
    return None


MAX_TEXT = 500
ALERT_LEVELS = (Decimal(75), Decimal(90), Decimal(100))
EMERGENCY_SHARE = Decimal("0.25")
EMERGENCY_DURATION = timedelta(hours=48)
NEW_CUSTOMER_ACTIONS = ("suspend", "require_approval", "continue")
EXISTING_SERVICE_ACTIONS = ("continue", "review", "restrict")
PAYMENT_ACTIONS = ("continue", "review", "escalate")
PAYMENT_TERMS_DAYS = (0, 7, 15, 30, 45, 60)
# Collections: days past the oldest unpaid charge's due date -> stage.
COLLECTION_STEPS = ((1, "reminder"), (7, "second_notice"), (14, "final_notice"), (30, "suspension"))


def credit_account_id(reseller_number: int) -> UUID:
    return derived_id("credit-account", reseller_number)


class CreditAccount(Aggregate):
    class Opened(Aggregate.Created):
        reseller_number: int
        tenant_number: int
        credit_limit: Money

    @event(Opened)
    def __init__(self, reseller_number: int, tenant_number: int, credit_limit: Money) -> None:
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.credit_limit = credit_limit
        self.balance = Money.zero(credit_limit.currency)
        self.charged_total = Money.zero(credit_limit.currency)
        self.paid_total = Money.zero(credit_limit.currency)
        self.open_charges: dict[str, dict[str, Any]] = {}
        self.unapplied = Money.zero(credit_limit.currency)
        """Paid ahead of any charge: settles the next charges as they come."""
        self.warning_pct = Decimal(80)
        self.restriction_pct = Decimal(90)
        self.actions = {
            "new_customers": "suspend",
            "existing_services": "continue",
            "payments": "continue",
        }
        self.payment_terms_days = 30
        self.alerted: list[str] = []
        self.emergency: dict[str, Any] | None = None
        self.emergency_requests: dict[str, dict[str, Any]] = {}
        self.increase_requests: dict[str, dict[str, Any]] = {}
        self.temporary_increase: dict[str, Any] | None = None
        self.delegated = Money.zero(credit_limit.currency)
        """Credit handed to sub-resellers as their limits: committed, no longer available here."""
        self.delegations: dict[str, Money] = {}

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return credit_account_id(reseller_number)

    @classmethod
    def open(cls, reseller_number: int, tenant_number: int, credit_limit: Money) -> CreditAccount:
        if credit_limit.amount < 0:
            raise DomainError("credit_limit cannot be negative", field="credit_limit")
        return cls(
            reseller_number=reseller_number, tenant_number=tenant_number, credit_limit=credit_limit
        )

    # -- derived state ----------------------------------------------------------------------

    @property
    def currency(self) -> str:
        return self.credit_limit.currency

    @property
    def receivable_account(self) -> str:
        return reseller_receivable(self.reseller_number)

    def emergency_amount(self, now: datetime) -> Money:
        if self.emergency is None or now >= self.emergency["expires_at"]:
            return Money.zero(self.currency)
        amount: Money = self.emergency["amount"]
        return amount

    def temporary_amount(self, now: datetime) -> Money:
        if self.temporary_increase is None or now >= self.temporary_increase["until"]:
            return Money.zero(self.currency)
        amount: Money = self.temporary_increase["amount"]
        return amount

    def effective_limit(self, now: datetime) -> Money:
        return self.credit_limit + self.emergency_amount(now) + self.temporary_amount(now)

    def committed(self) -> Money:
        """What is used of the limit: the balance owed plus the credit delegated to children."""
        return self.balance + self.delegated

    def utilization(self, now: datetime) -> Decimal | None:
        return ratio(self.committed(), self.effective_limit(now))

    def utilization_pct(self, now: datetime) -> Decimal:
        """Utilization in percent; an account with no limit and a debt is 'infinitely' used."""
        used = self.utilization(now)
        if used is None:
            return Decimal(0) if not self.balance.is_positive else Decimal("Infinity")
        return used * 100

    def available(self, now: datetime) -> Money:
        return self.effective_limit(now) - self.committed()

    class CreditDelegated(Aggregate.Event):
        """Part of this reseller's available credit became a sub-reseller's credit limit."""

        child_number: int
        amount: Money

    @event(CreditDelegated)
    def _delegate(self, child_number: int, amount: Money) -> None:
        self.delegated = self.delegated + amount
        self.delegations = {**self.delegations, str(child_number): amount}

    def delegate_to_child(self, child_number: int, amount: Money, now: datetime) -> None:
        """A sub-reseller's credit limit, carved out of this (the parent's) available credit:
        children never exceed what the parent is allowed. This account owns the invariant, so
        two children created at once cannot both spend the same headroom (the second save
        conflicts on this account's version and is re-decided)."""
        if amount.currency != self.currency:
            raise DomainError(f"the account is kept in {self.currency}", field="currency")
        if amount.amount < 0:
            raise DomainError("credit_limit cannot be negative", field="credit_limit")
        available = self.available(now)
        if amount > available:
            raise DomainError(
                f"a sub-reseller's credit limit comes out of its parent's available credit: "
                f"at most {available.amount} {self.currency}",
                field="credit_limit",
            )
        if not amount.is_zero:
            self._delegate(child_number, amount)

    def state(self, now: datetime) -> str:
        pct = self.utilization_pct(now)
        if pct >= 100:
            return "at_limit"
        if pct >= self.restriction_pct:
            return "restricted"
        if pct >= self.warning_pct:
            return "warning"
        return "ok"

    def action_for(self, governed: str, now: datetime) -> str:
        """What the configured policy says for new customers, existing services or payments
        right now: 'continue' unless the account is past the level that governs it."""
        state = self.state(now)
        if governed == "new_customers" and state in ("restricted", "at_limit"):
            return self.actions["new_customers"]
        if governed in ("existing_services", "payments") and state == "at_limit":
            return self.actions[governed]
        return "continue"

    def collection_stage(self, today: date) -> dict[str, Any] | None:
        """The collections step of the oldest overdue charge, or None when nothing is overdue."""
        overdue = [c for c in self.open_charges.values() if c["due_on"] < today]
        if not overdue:
            return None
        oldest = min(overdue, key=lambda c: (c["due_on"], c["charge_id"]))
        days = (today - oldest["due_on"]).days
        stage = None
        for threshold, name in COLLECTION_STEPS:
            if days >= threshold:
                stage = name
        return {"stage": stage, "days_overdue": days, "oldest_due_on": oldest["due_on"]}

    def _check_amount(self, amount: Money) -> None:
        if amount.currency != self.currency:
            raise DomainError(f"the account is kept in {self.currency}", field="currency")
        if not amount.is_positive:
            raise DomainError("amount must be positive", field="amount")

    def _alerts_for(self, now: datetime) -> list[str]:
        levels = sorted({*ALERT_LEVELS, self.warning_pct, self.restriction_pct})
        pct = self.utilization_pct(now)
        return [f"{level.normalize():f}" for level in levels if pct >= level]

    def _raise_alerts(self, now: datetime) -> None:
        crossed = self._alerts_for(now)
        new = [level for level in crossed if level not in self.alerted]
        if new or crossed != self.alerted:
            self._alerts_changed(crossed, new, str(self.utilization_pct(now)))

    class AlertsChanged(Aggregate.Event):
        active: list[str]
        raised: list[str]
        utilization_pct: str

    @event(AlertsChanged)
    def _alerts_changed(self, active: list[str], raised: list[str], utilization_pct: str) -> None:
        self.alerted = active

    # -- charges and payments ---------------------------------------------------------------

    class ChargeRecorded(Aggregate.Event):
        charge_id: str
        amount: Money
        description: str
        reference: str | None
        effective_date: date
        due_on: date
        settled_in_advance: Money
        postings: list[Posting]

    @event(ChargeRecorded)
    def _record_charge(
        self,
        charge_id: str,
        amount: Money,
        description: str,
        reference: str | None,
        effective_date: date,
        due_on: date,
        settled_in_advance: Money,
        postings: list[Posting],
    ) -> None:
        self.balance = self.balance + amount
        self.charged_total = self.charged_total + amount
        self.unapplied = self.unapplied - settled_in_advance
        outstanding = amount - settled_in_advance
        if outstanding.is_positive:
            self.open_charges = {
                **self.open_charges,
                charge_id: {
                    "charge_id": charge_id,
                    "effective_date": effective_date,
                    "due_on": due_on,
                    "outstanding": outstanding,
                },
            }

    def record_charge(
        self,
        amount: Money,
        description: str,
        reference: str | None,
        effective_date: date,
        now: datetime | None = None,
    ) -> str:
        """Record a wholesale charge; returns its id. `now` (the recording instant) drives the
        utilization alerts."""
        self._check_amount(amount)
        description = description.strip()
        if not description or len(description) > MAX_TEXT:
            raise DomainError(f"description must be 1-{MAX_TEXT} characters", field="description")
        entry = JournalEntry(
            (debit(self.receivable_account, amount), credit(WHOLESALE_REVENUE, amount))
        )
        charge_id = f"charge-{self.version + 1}"
        due_on = effective_date + timedelta(days=self.payment_terms_days)
        in_advance = self.unapplied if self.unapplied <= amount else amount
        self._record_charge(
            charge_id,
            amount,
            description,
            reference,
            effective_date,
            due_on,
            in_advance,
            list(entry.postings),
        )
        if now is not None:
            self._raise_alerts(now)
        return charge_id

    class PaymentRecorded(Aggregate.Event):
        amount: Money
        method: str
        reference: str | None
        effective_date: date
        allocations: list[dict[str, Any]]
        postings: list[Posting]

    @event(PaymentRecorded)
    def _record_payment(
        self,
        amount: Money,
        method: str,
        reference: str | None,
        effective_date: date,
        allocations: list[dict[str, Any]],
        postings: list[Posting],
    ) -> None:
        self.balance = self.balance - amount
        self.paid_total = self.paid_total + amount
        allocated = sum((a["amount"].amount for a in allocations), Decimal(0))
        self.unapplied = self.unapplied + amount - Money(allocated, self.currency)
        charges = {k: dict(v) for k, v in self.open_charges.items()}
        for allocation in allocations:
            charge = charges[allocation["charge_id"]]
            charge["outstanding"] = charge["outstanding"] - allocation["amount"]
            if charge["outstanding"].is_zero:
                del charges[allocation["charge_id"]]
        self.open_charges = charges

    def record_payment(
        self,
        amount: Money,
        method: str,
        reference: str | None,
        effective_date: date,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Record a payment, settling the oldest open charges first; returns the allocations."""
        self._check_amount(amount)
        if method not in PAYMENT_METHODS:
            raise DomainError(f"method must be one of {', '.join(PAYMENT_METHODS)}", field="method")
        allocations = self._oldest_first(amount)
        entry = JournalEntry((debit(CASH, amount), credit(self.receivable_account, amount)))
        self._record_payment(
            amount, method, reference, effective_date, allocations, list(entry.postings)
        )
        if now is not None:
            self._raise_alerts(now)
        return allocations

    def _oldest_first(self, amount: Money) -> list[dict[str, Any]]:
        allocations = []
        left = amount
        for charge in sorted(
            self.open_charges.values(),
            key=lambda c: (c["effective_date"], int(c["charge_id"].split("-")[1])),
        ):
            if left.is_zero:
                break
            applied = charge["outstanding"] if charge["outstanding"] <= left else left
            allocations.append({"charge_id": charge["charge_id"], "amount": applied})
            left = left - applied
        return allocations

    def settle_from_payout(
        self, amount: Money, reference: str, effective_date: date, now: datetime
    ) -> None:
        """A commission payout pays down what the reseller owes (oldest charges first). The
        journal lines (payable against this receivable) are in the payout's own entry, so this
        payment carries none."""
        self._check_amount(amount)
        if amount > self.balance:
            raise DomainError("a payout settles at most what is owed", field="amount")
        allocations = self._oldest_first(amount)
        self._record_payment(amount, "offset", reference, effective_date, allocations, [])
        self._raise_alerts(now)

    # -- policy -----------------------------------------------------------------------------

    class PolicyChanged(Aggregate.Event):
        warning_pct: Decimal
        restriction_pct: Decimal
        actions: dict[str, str]
        payment_terms_days: int

    @event(PolicyChanged)
    def _change_policy(
        self,
        warning_pct: Decimal,
        restriction_pct: Decimal,
        actions: dict[str, str],
        payment_terms_days: int,
    ) -> None:
        self.warning_pct = warning_pct
        self.restriction_pct = restriction_pct
        self.actions = actions
        self.payment_terms_days = payment_terms_days

    def change_policy(self, now: datetime, **changes: Any) -> None:
        warning = Decimal(changes.get("warning_pct", self.warning_pct))
        restriction = Decimal(changes.get("restriction_pct", self.restriction_pct))
        if not 50 <= warning <= 95:
            raise DomainError("warning_pct must be between 50 and 95", field="warning_pct")
        if not 75 <= restriction <= 99:
            raise DomainError("restriction_pct must be between 75 and 99", field="restriction_pct")
        if warning >= restriction:
            raise DomainError("warning_pct must be below restriction_pct", field="warning_pct")
        actions = dict(self.actions)
        for key, allowed in (
            ("new_customers", NEW_CUSTOMER_ACTIONS),
            ("existing_services", EXISTING_SERVICE_ACTIONS),
            ("payments", PAYMENT_ACTIONS),
        ):
            value = changes.get(key)
            if value is not None:
                if value not in allowed:
                    raise DomainError(f"{key} must be one of {', '.join(allowed)}", field=key)
                actions[key] = value
        terms = int(changes.get("payment_terms_days", self.payment_terms_days))
        if terms not in PAYMENT_TERMS_DAYS:
            raise DomainError(
                f"payment terms are one of {PAYMENT_TERMS_DAYS} days", field="payment_terms_days"
            )
        self._change_policy(warning, restriction, actions, terms)
        self._raise_alerts(now)

    # -- emergency credit -------------------------------------------------------------------

    class EmergencyCreditRequested(Aggregate.Event):
        request_id: str
        amount: Money
        reason: str

    @event(EmergencyCreditRequested)
    def _request_emergency(self, request_id: str, amount: Money, reason: str) -> None:
        self.emergency_requests = {
            **self.emergency_requests,
            request_id: {"amount": amount, "reason": reason, "status": "pending"},
        }

    def request_emergency_credit(self, request_id: str, amount: Money, reason: str) -> None:
        self._check_amount(amount)
        if amount.amount > (self.credit_limit.amount * EMERGENCY_SHARE):
            raise DomainError("emergency credit is at most 25% of the credit limit", field="amount")
        if any(r["status"] == "pending" for r in self.emergency_requests.values()):
            raise DomainError("an emergency credit request is already pending", field="amount")
        self._request_emergency(request_id, amount, reason.strip()[:MAX_TEXT])

    class EmergencyCreditGranted(Aggregate.Event):
        request_id: str
        amount: Money
        granted_at: datetime
        expires_at: datetime
        approval_level: str

    @event(EmergencyCreditGranted)
    def _grant_emergency(
        self,
        request_id: str,
        amount: Money,
        granted_at: datetime,
        expires_at: datetime,
        approval_level: str,
    ) -> None:
        self.emergency = {
            "request_id": request_id,
            "amount": amount,
            "granted_at": granted_at,
            "expires_at": expires_at,
            "approval_level": approval_level,
        }
        requests = dict(self.emergency_requests)
        requests[request_id] = {**requests[request_id], "status": "granted"}
        self.emergency_requests = requests

    def grant_emergency_credit(self, request_id: str, now: datetime, approval_level: str) -> None:
        """Grant a pending request for 48 hours; it replaces any emergency credit in force."""
        request = self.emergency_requests.get(request_id)
        if request is None or request["status"] != "pending":
            raise DomainError(
                "no pending emergency credit request with that id", field="request_id"
            )
        self._grant_emergency(
            request_id, request["amount"], now, now + EMERGENCY_DURATION, approval_level
        )
        self._raise_alerts(now)

    class EmergencyCreditExpired(Aggregate.Event):
        request_id: str
        expired_at: datetime

    @event(EmergencyCreditExpired)
    def _expire_emergency(self, request_id: str, expired_at: datetime) -> None:
        self.emergency = None

    def expire_emergency_credit(self, now: datetime) -> bool:
        """Record the expiry of emergency credit that is due; False when nothing is due."""
        if self.emergency is None or now < self.emergency["expires_at"]:
            return False
        self._expire_emergency(self.emergency["request_id"], self.emergency["expires_at"])
        self._raise_alerts(now)
        return True

    # -- credit limit increases -------------------------------------------------------------

    class LimitIncreaseRequested(Aggregate.Event):
        request_id: str
        new_limit: Money
        kind: str
        until: datetime | None
        justification: str

    @event(LimitIncreaseRequested)
    def _request_increase(
        self,
        request_id: str,
        new_limit: Money,
        kind: str,
        until: datetime | None,
        justification: str,
    ) -> None:
        self.increase_requests = {
            **self.increase_requests,
            request_id: {
                "new_limit": new_limit,
                "kind": kind,
                "until": until,
                "justification": justification,
                "status": "pending",
            },
        }

    def request_limit_increase(
        self,
        request_id: str,
        new_limit: Money,
        kind: str,
        until: datetime | None,
        justification: str,
        now: datetime,
    ) -> None:
        self._check_amount(new_limit)
        if new_limit <= self.credit_limit:
            raise DomainError("the new limit must exceed the current one", field="new_limit")
        if kind not in ("temporary", "permanent"):
            raise DomainError("kind is 'temporary' or 'permanent'", field="kind")
        if (kind == "temporary") != (until is not None):
            raise DomainError(
                "a temporary increase needs 'until'; a permanent one none", field="until"
            )
        if until is not None and until <= now:
            raise DomainError("'until' must be in the future", field="until")
        self._request_increase(request_id, new_limit, kind, until, justification.strip()[:MAX_TEXT])

    class LimitIncreaseDecided(Aggregate.Event):
        request_id: str
        approved: bool
        note: str | None

    @event(LimitIncreaseDecided)
    def _decide_increase(self, request_id: str, approved: bool, note: str | None) -> None:
        request = {**self.increase_requests[request_id]}
        request["status"] = "approved" if approved else "rejected"
        self.increase_requests = {**self.increase_requests, request_id: request}
        if approved and request["kind"] == "permanent":
            self.credit_limit = request["new_limit"]
        elif approved:
            self.temporary_increase = {
                "amount": request["new_limit"] - self.credit_limit,
                "until": request["until"],
            }

    def decide_limit_increase(
        self, request_id: str, approved: bool, note: str | None, now: datetime
    ) -> None:
        request = self.increase_requests.get(request_id)
        if request is None or request["status"] != "pending":
            raise DomainError("no pending increase request with that id", field="request_id")
        self._decide_increase(request_id, approved, note)
        self._raise_alerts(now)
