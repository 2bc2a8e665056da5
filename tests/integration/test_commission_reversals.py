"""Void versus clawback (seed §5.1, issue 5): a refund, credit note or chargeback of a payment
dated inside its holding period voids the payment's pending commissions (reversed in the
journal, replaced on what remains of a partial reversal); dated on or after the day the holding
period ends, it records clawbacks that offset the next payout. Either way the journal of every
record involved nets to zero and each reseller's payable is exactly what still stands."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from commands.commissions.accrual import commission_settings
from commands.errors import Unprocessable
from domain.billing.customer_account import customer_account_id
from domain.commissions.payment_commissions import PaymentCommissions, payment_commissions_id
from domain.commissions.records import COMMISSION_EXPENSE, pass_through_shares, payable_account
from domain.ledger.money import Money
from tests.support.commission_world import (
    bill,
    commissions_of,
    customer,
    ledger_of,
    pay,
    reseller,
    reverse,
    service,
    tariff,
)

PAID_ON = date(2024, 5, 10)
HOLD_DAYS = 30
LAST_HOLDING_DAY = PAID_ON + timedelta(days=HOLD_DAYS - 1)  # 8 June 2024
FIRST_DAY_AFTER = PAID_ON + timedelta(days=HOLD_DAYS)  # 9 June: the records clear


def usd(value: str | Decimal) -> Money:
    return Money.of(value, "USD")


CASES = [
    # (kind, reversed amount or None for the credit note's gross, day, expected outcome)
    ("refund", "99.99", LAST_HOLDING_DAY, "voided"),
    ("refund", "99.99", FIRST_DAY_AFTER, "clawed_back"),
    ("refund", "40.00", LAST_HOLDING_DAY, "voided"),  # partial: replaced on 59.99
    ("refund", "40.00", FIRST_DAY_AFTER, "clawed_back"),
    ("chargeback", "99.99", PAID_ON, "voided"),  # the payment's own day
    ("chargeback", "99.99", LAST_HOLDING_DAY, "voided"),
    ("chargeback", "25.00", FIRST_DAY_AFTER, "clawed_back"),
    ("credit_note", "10.00", LAST_HOLDING_DAY, "voided"),
    ("credit_note", "10.00", FIRST_DAY_AFTER, "clawed_back"),
]


@pytest.mark.parametrize(("kind", "amount", "on", "outcome"), CASES)
def test_void_inside_the_holding_period_clawback_after(store, kind, amount, on, outcome) -> None:
    assert commission_settings(store).holding_days == HOLD_DAYS
    top = reseller(store, "15.00")
    leaf = reseller(store, "8.00", parent=top.number)
    rates = [(leaf.number, Decimal(8)), (top.number, Decimal(15))]
    who = customer(store, leaf.number)
    invoice_id = None
    paid = "99.99"
    if kind == "credit_note":
        service(store, who, tariff(store, leaf.number, price="90.00"), [("2024-04-01", "active")])
        invoice = bill(store, who, "2024-04-01", "2024-04-30")
        invoice_id, paid = invoice["invoice_id"], invoice["total"]
    payment = pay(store, who, paid, PAID_ON.isoformat())
    originals = set(payment["commissions"])
    assert len(originals) == 2
    done = reverse(store, kind, who, payment["payment_id"], amount, on.isoformat(), invoice_id)
    reversed_amount = usd(done.get("credited_total", amount))

    basis = store.repository.get(
        payment_commissions_id(f"payment:{customer_account_id(who)}:{payment['payment_id']}")
    )
    assert isinstance(basis, PaymentCommissions)
    assert basis.hold_until == FIRST_DAY_AFTER
    records = commissions_of(store, who)
    by_id = {str(r.id): r for r in records}
    later = [r for r in records if str(r.id) not in originals]
    if outcome == "voided":
        assert {by_id[i].status for i in originals} == {"voided"}
        remaining = usd(paid) - reversed_amount
        standing = pass_through_shares(rates, remaining) if remaining.is_positive else []
        # What remains of the payment earns again, pending until the same day.
        assert sorted((r.reseller_number, r.commission_amount) for r in later) == sorted(
            (n, s) for n, s in standing if not s.is_zero
        )
        assert {(r.status, r.hold_until) for r in later} <= {("pending", FIRST_DAY_AFTER)}
        owed = dict(standing)
    else:
        assert {by_id[i].status for i in originals} == {"pending"}
        clawbacks = pass_through_shares(rates, -reversed_amount)
        assert sorted((r.reseller_number, r.commission_amount) for r in later) == sorted(
            (n, s) for n, s in clawbacks if not s.is_zero
        )
        assert {r.status for r in later} == {"approved"}  # offsets the next payout
        owed = {
            n: a + c
            for (n, a), (_, c) in zip(pass_through_shares(rates, usd(paid)), clawbacks, strict=True)
        }
    ledger = ledger_of(store, [r.id for r in records])
    assert ledger[""] == 0  # the trial balance of every record involved
    for number in (leaf.number, top.number):
        # Credit balances are negative in the signed sum.
        payable = ledger.get(payable_account(number), Decimal(0))
        assert -payable == owed.get(number, usd("0")).amount
    assert ledger.get(COMMISSION_EXPENSE, Decimal(0)) == sum(
        (m.amount for m in owed.values()), Decimal(0)
    )


def test_a_reversal_beyond_what_stands_is_refused_and_writes_nothing(store) -> None:
    from commands.billing.corrections import Refund, issue_refund
    from tests.support.builders import context

    r = reseller(store, "10.00")
    who = customer(store, r.number)
    payment = pay(store, who, "50.00", PAID_ON.isoformat())
    reverse(store, "refund", who, payment["payment_id"], "30.00", LAST_HOLDING_DAY.isoformat())
    pay(store, who, "50.00", PAID_ON.isoformat())  # more credit, another payment
    before = store.recorder.max_notification_id()
    with pytest.raises(Unprocessable) as refused:
        issue_refund(
            store,
            context(),
            who,
            Refund(amount=Decimal("30.00"), currency="USD", method="card",
                   effective_date=LAST_HOLDING_DAY, payment_id=payment["payment_id"]),
        )  # fmt: skip
    assert refused.value.field == "amount"  # only 20.00 of that payment still stands
    assert store.recorder.max_notification_id() == before


def test_the_holding_period_is_the_ledger_setting(store, monkeypatch) -> None:
    from domain.commissions.payment_commissions import CommissionSettings
    from infra.settings import Settings

    monkeypatch.setenv("LEDGER_COMMISSION_HOLDING_DAYS", "7")
    store.commission_settings = CommissionSettings(Settings().commission_holding_days)
    try:
        r = reseller(store, "10.00")
        who = customer(store, r.number)
        inside = pay(store, who, "20.00", PAID_ON.isoformat())
        after = pay(store, who, "20.00", PAID_ON.isoformat())
        last_day = (PAID_ON + timedelta(days=6)).isoformat()
        reverse(store, "refund", who, inside["payment_id"], "20.00", last_day)
        reverse(
            store,
            "refund",
            who,
            after["payment_id"],
            "20.00",
            (PAID_ON + timedelta(days=7)).isoformat(),
        )
    finally:
        store.commission_settings = CommissionSettings(HOLD_DAYS)
    (voided,) = inside["commissions"]
    (cleared_later,) = after["commissions"]
    records = {str(c.id): c for c in commissions_of(store, who)}
    assert records[voided].status == "voided"
    assert records[cleared_later].status == "pending"
    assert records[cleared_later].hold_until == PAID_ON + timedelta(days=7)
    assert sorted(str(c.commission_amount.amount) for c in records.values()) == [
        "-2.00",
        "2.00",
        "2.00",
    ]
