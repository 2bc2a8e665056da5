"""Use cases of the commissions context: plans, accrual on payments, clearing and approval,
disputes, the payout schedule and statement. The world: a reseller (10% commission) whose
customer pays its January invoice (21.50) on 2 February 2025."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from commands.commissions.accrual import approve_commission, clear_commission
from commands.commissions.disputes import (
    DisputeConfig,
    DisputeItem,
    Resolve,
    StartReview,
    SubmitDispute,
    resolve,
    start_review,
    submit_dispute,
)
from commands.commissions.payouts import (
    SetPayoutSchedule,
    SetTaxProfile,
    prepare_statement,
    set_payout_schedule,
    set_tax_profile,
)
from commands.commissions.plans import RateRule, SetCommissionPlan, set_commission_plan
from commands.errors import Forbidden, Unprocessable
from domain.access.roles import Role
from domain.commissions.payouts import PayoutAccount, payout_account_id
from domain.commissions.records import Commission
from domain.ledger.money import Money
from tests.support.builders import Tenant
from tests.support.in_memory import event_names, events_since, head

from .steps import (
    JANUARY_1,
    a_customer,
    a_paid_invoice,
    a_reseller,
    a_tariff,
    an_active_service,
    as_isp,
    as_reseller,
    body,
)

FEBRUARY_2 = JANUARY_1 + timedelta(days=32)
MARCH_5 = FEBRUARY_2 + timedelta(days=31)  # the 30-day holding period is over
CONFIG = DisputeConfig()


@dataclass
class World:
    reseller: Tenant
    customer: UUID
    tariff: int


@pytest.fixture
def world(store) -> World:
    reseller = a_reseller(store, commission_percent="10.00")
    tariff = a_tariff(store, reseller.number, price="20.00")
    customer = a_customer(store, reseller.number, now=JANUARY_1)
    an_active_service(store, reseller.number, customer, tariff, since=JANUARY_1)
    return World(reseller, customer, tariff)


def _approved_commission(store, world: World) -> UUID:
    [commission_id] = a_paid_invoice(
        store, world.reseller.number, world.customer, FEBRUARY_2, paid="21.50"
    )
    clear_commission(store, as_isp(now=MARCH_5), commission_id)
    approve_commission(store, as_isp(now=MARCH_5), commission_id)
    return commission_id


def test_the_isp_sets_a_commission_plan_that_later_payments_earn_at(store, world) -> None:
    planned = set_commission_plan(
        store,
        as_isp(),
        world.reseller.number,
        SetCommissionPlan(effective_from=date(2025, 1, 1), recurring=RateRule(rate=Decimal(15))),
    )

    [commission_id] = a_paid_invoice(
        store, world.reseller.number, world.customer, FEBRUARY_2, paid="21.50"
    )

    assert planned.status_code == 201
    assert body(planned)["versions"] == [
        {"version": 1, "effective_from": "2025-01-01", "recurring": {"rate": "15"}}
    ]
    record = store.repository.get(commission_id)
    assert record.commission_rate == Decimal(15)
    assert record.commission_amount == Money.of("3.22", "USD")  # 3.225 rounded down


def test_a_reseller_cannot_set_its_own_commission_plan(store, world) -> None:
    before = head(store)

    with pytest.raises(Forbidden, match="reseller_manage"):
        set_commission_plan(
            store,
            as_reseller(world.reseller.number),
            world.reseller.number,
            SetCommissionPlan(
                effective_from=date(2025, 1, 1), recurring=RateRule(rate=Decimal(90))
            ),
        )

    assert head(store) == before


def test_a_commission_clears_only_after_its_holding_period(store, world) -> None:
    [commission_id] = a_paid_invoice(
        store, world.reseller.number, world.customer, FEBRUARY_2, paid="21.50"
    )

    early = clear_commission(store, as_isp(now=FEBRUARY_2 + timedelta(days=5)), commission_id)
    due = clear_commission(store, as_isp(now=MARCH_5), commission_id)
    approved = approve_commission(store, as_isp(now=MARCH_5), commission_id)

    assert body(early)["status"] == "pending"
    assert body(due)["status"] == "calculated"
    assert body(approved)["status"] == "approved"
    moves = [e for e in events_since(store, 0) if isinstance(e, Commission.StatusChanged)]
    assert [m.to_status for m in moves] == ["calculated", "approved"]


def test_a_reseller_disputes_an_approved_commission_and_the_isp_accepts_it(store, world) -> None:
    commission_id = _approved_commission(store, world)

    submitted = submit_dispute(
        store,
        as_reseller(world.reseller.number, Role.MANAGER, now=MARCH_5),
        SubmitDispute(
            items=[DisputeItem(commission_id=commission_id, corrected_base_amount=Decimal(30))],
            reason="the base left out the installation fee",
        ),
        CONFIG,
    )
    dispute_id = UUID(body(submitted)["dispute_id"])
    assert store.repository.get(commission_id).status == "disputed"
    start_review(store, as_isp(now=MARCH_5), dispute_id, StartReview(), CONFIG)
    before = head(store)

    resolved = resolve(
        store,
        as_isp(now=MARCH_5 + timedelta(days=1)),
        dispute_id,
        Resolve(decision="accepted", note="fee was billable"),
        CONFIG,
    )

    assert body(resolved)["status"] == "accepted"
    adjustments = [e for e in events_since(store, before) if isinstance(e, Commission.Calculated)]
    # 10% of 30.00 is 3.00; 2.15 was recorded.
    assert [a.commission_amount for a in adjustments] == [Money.of("0.85", "USD")]
    assert store.repository.get(commission_id).status != "disputed"


def test_a_pending_commission_cannot_be_disputed(store, world) -> None:
    [commission_id] = a_paid_invoice(
        store, world.reseller.number, world.customer, FEBRUARY_2, paid="21.50"
    )
    before = head(store)

    with pytest.raises(Unprocessable, match="only approved records") as refused:
        submit_dispute(
            store,
            as_reseller(world.reseller.number, now=FEBRUARY_2),
            SubmitDispute(
                items=[DisputeItem(commission_id=commission_id, corrected_base_amount=Decimal(30))],
                reason="too early",
            ),
            CONFIG,
        )

    assert refused.value.field == "items.0.commission_id"
    assert head(store) == before


def test_a_reseller_admin_sets_its_payout_schedule(store, world) -> None:
    scheduled = set_payout_schedule(
        store,
        as_reseller(world.reseller.number),
        None,
        SetPayoutSchedule(
            frequency="quarterly", processing_day=10, minimum_threshold=Decimal("100.00")
        ),
    )

    view = body(scheduled)
    assert (view["frequency"], view["processing_day"], view["minimum_threshold"]) == (
        "quarterly",
        10,
        "100.00",
    )
    account = store.repository.get(payout_account_id(world.reseller.number))
    assert isinstance(account, PayoutAccount)
    assert account.minimum_threshold == Money.of("100.00", "USD")
    assert "PayoutAccount.ScheduleSet" in event_names(events_since(store, 0))


def test_a_payee_cannot_switch_its_own_backup_withholding(store, world) -> None:
    before = head(store)

    with pytest.raises(Forbidden, match="only the master ISP") as refused:
        set_tax_profile(
            store,
            as_reseller(world.reseller.number),
            None,
            SetTaxProfile(
                legal_name="ABC Ltd", address="1 Marina", country="NG", backup_withholding=True
            ),
        )

    assert refused.value.field == "backup_withholding"
    assert head(store) == before


def test_the_isp_prepares_a_payout_statement_of_approved_commissions(store, world) -> None:
    commission_id = _approved_commission(store, world)
    pending = a_paid_invoice(store, world.reseller.number, world.customer, MARCH_5, paid="21.50")

    prepared = prepare_statement(
        store, as_isp(now=MARCH_5), world.reseller.number, "2025-03", [commission_id, *pending]
    )

    statement = body(prepared)
    assert prepared.status_code == 201
    # Only the approved record is paid; the pending one waits for a later cycle.
    assert (statement["records"], statement["total"], statement["status"]) == (
        1,
        "2.15",
        "statement",
    )
    again = prepare_statement(
        store, as_isp(now=MARCH_5), world.reseller.number, "2025-03", [commission_id]
    )
    assert body(again) == statement
