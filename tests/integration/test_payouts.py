"""Commission payouts through the real store, read models and Redis jobs: the cycle run twice
and after a crash midway pays each reseller once; a balance below the threshold carries
forward; every payout balances (VAT, reverse charge, backup withholding, netting, FX) and the
trial balance stays zero; a rate recorded after the payment instant is never used."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from dramatiq import Worker

import infra.jobs as jobs
from commands.commissions.payouts import (
    PayoutPolicy,
    RecordFxRate,
    SetPayoutSchedule,
    SetTaxProfile,
    pay_payout,
    record_fx_rate,
    set_payout_schedule,
    set_tax_profile,
)
from commands.credit.credit_account import RecordCharge, record_charge
from domain.commissions.payouts import Payout, payout_id
from domain.commissions.records import Commission
from domain.credit.credit_account import credit_account_id
from domain.ledger.fx import FxRateBook, fx_book_id
from domain.ledger.journal import trial_balance
from infra.jobs import QUEUE, payout_cycle_job, run_payout_cycle
from projections.base import feed_position
from projections.ledger.journal import trial_balance as projected_trial_balance
from projections.registry import PROJECTORS
from tests.conftest import Clock
from tests.support.builders import context, new_reseller
from tests.support.payouts import approved_commission

JAN_STATEMENT = datetime(2027, 1, 4, 9, tzinfo=UTC)  # a Monday
JAN_PAYMENT = datetime(2027, 1, 15, 10, tzinfo=UTC)
FEB_STATEMENT = datetime(2027, 2, 1, 9, tzinfo=UTC)
FEB_PAYMENT = datetime(2027, 2, 15, 10, tzinfo=UTC)


def wait_projected(database_url: str, store, timeout_s: float = 30.0) -> None:
    head = store.recorder.max_notification_id()
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(database_url, autocommit=True) as conn:
        while any(feed_position(conn, p) < head for p in PROJECTORS.values()):
            assert time.monotonic() < deadline, "projections did not catch up"
            time.sleep(0.02)


def payout(store, tenant, cycle: str = "2027-01") -> Payout:
    found = store.repository.get(payout_id(tenant.number, cycle))
    assert isinstance(found, Payout)
    return found


def event_names(store, aggregate_id) -> list[str]:
    return [type(e).__name__ for e in store.events.get(aggregate_id)]


def paid_event(store, tenant, cycle: str = "2027-01") -> Payout.Paid:
    (paid,) = [
        e for e in store.events.get(payout_id(tenant.number, cycle)) if isinstance(e, Payout.Paid)
    ]
    return paid


def test_the_cycle_run_twice_and_after_a_crash_midway_pays_each_reseller_once(
    store, database_url, job_broker, store_feed, monkeypatch
):
    tenants = [new_reseller(store, roles=()) for _ in range(3)]
    records = {t.number: approved_commission(store, t, "600.00") for t in tenants}
    wait_projected(database_url, store)

    run_payout_cycle(JAN_STATEMENT.isoformat())
    for tenant in tenants:
        assert payout(store, tenant).status == "statement"
        assert payout(store, tenant).pay_on.isoformat() == "2027-01-15"
    run_payout_cycle(JAN_STATEMENT.isoformat())  # the same day again: nothing new
    assert all(event_names(store, payout(store, t).id) == ["StatementPrepared"] for t in tenants)

    real = jobs.advance_cycle

    def dies_at_the_second(store_, context_, number, *rest):
        if number == tenants[1].number:
            raise RuntimeError("worker died between resellers")
        return real(store_, context_, number, *rest)

    monkeypatch.setattr(jobs, "advance_cycle", dies_at_the_second)
    with pytest.raises(RuntimeError):
        run_payout_cycle(JAN_PAYMENT.isoformat())
    monkeypatch.undo()
    assert payout(store, tenants[0]).status == "confirmed"
    assert payout(store, tenants[1]).status == "statement"
    assert payout(store, tenants[2]).status == "statement"

    worker = Worker(job_broker, worker_threads=2)
    worker.start()
    try:
        payout_cycle_job.send(JAN_PAYMENT.isoformat())
        payout_cycle_job.send(JAN_PAYMENT.isoformat())
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    run_payout_cycle(JAN_PAYMENT.isoformat())

    for tenant in tenants:
        names = event_names(store, payout_id(tenant.number, "2027-01"))
        assert names == ["StatementPrepared", "Paid", "Confirmed"], names
        paid = paid_event(store, tenant)
        assert paid.gross_commission.amount == Decimal("60.00")
        assert paid.commission_ids == records[tenant.number]
        for commission in records[tenant.number]:
            record = store.repository.get(uuid.UUID(commission))
            assert isinstance(record, Commission) and record.status == "paid"
            assert event_names(store, record.id).count("StatusChanged") == 3  # cleared, ok, paid


def test_a_balance_below_the_threshold_carries_forward_until_it_crosses_it(
    store, database_url, job_broker, store_feed, client, isp_headers, monkeypatch
):
    clock = Clock()  # the jobs' clock, moved forward through two cycles

    def move_to(instant: datetime) -> None:
        clock.advance(seconds=(instant - clock()).total_seconds())

    monkeypatch.setattr(jobs.JobRuntime, "clock", clock)
    tenant = new_reseller(store, roles=())
    first = approved_commission(store, tenant, "300.00")  # 30.00, below the 50.00 minimum
    wait_projected(database_url, store)
    move_to(JAN_STATEMENT)
    run_payout_cycle()
    move_to(JAN_PAYMENT)
    run_payout_cycle()
    january = payout(store, tenant)
    assert january.status == "carried_forward"
    assert all(store.repository.get(uuid.UUID(c)).status == "approved" for c in first)

    second = approved_commission(store, tenant, "250.00", refunded="50.00")  # 25.00 - 5.00
    wait_projected(database_url, store)
    move_to(FEB_STATEMENT)
    run_payout_cycle()
    move_to(FEB_PAYMENT)
    run_payout_cycle()
    paid = paid_event(store, tenant, "2027-02")
    assert paid.gross_commission.amount == Decimal("50.00")  # 30 carried + 25 - 5 clawback
    assert sorted(paid.commission_ids) == sorted(first + second)
    assert paid.amount_paid.amount == Decimal("53.75")  # + 7.5% NG VAT on the self-billed invoice

    wait_projected(database_url, store)
    statement = client.get(
        "/reseller/api/commissions/statements",
        headers=isp_headers,
        params={"reseller_id": tenant.number, "period": "2027-02"},
    ).json()
    assert statement["opening_carried_forward"] == "30.00"
    assert (statement["earned"], statement["clawbacks"]) == ("25.00", "-5.00")
    assert (statement["total"], statement["paid"], statement["status"]) == (
        "50.00",
        "50.00",
        "confirmed",
    )
    assert len(statement["records"]) == 3
    jan = client.get(
        "/reseller/api/commissions/statements",
        headers=isp_headers,
        params={"reseller_id": tenant.number, "period": "2027-01"},
    ).json()
    assert (jan["status"], jan["carried_forward"], jan["paid"]) == (
        "carried_forward",
        "30.00",
        None,
    )
    history = client.get(
        "/reseller/api/commissions/payouts",
        headers=isp_headers,
        params={"reseller_id": tenant.number},
    ).json()
    assert [p["cycle"] for p in history] == ["2027-02", "2027-01"]
    one = client.get(
        f"/reseller/api/commissions/payouts/{history[0]['payout_id']}", headers=isp_headers
    )
    assert one.status_code == 200
    assert one.json()["receipt"]["reference"] == f"PAYOUT-{tenant.code}-2027-02"


def test_payouts_balance_with_vat_reverse_charge_withholding_and_netting(
    store, database_url, job_broker, store_feed
):
    us = new_reseller(store, roles=())
    set_tax_profile(
        store,
        context(),
        us.number,
        SetTaxProfile(
            legal_name="US Reseller LLC",
            address="1 Main St, Austin TX",
            country="US",
            tin="12-3456789",
            backup_withholding=True,
        ),
    )
    de = new_reseller(store, roles=())
    set_tax_profile(
        store,
        context(),
        de.number,
        SetTaxProfile(legal_name="DE GmbH", address="Berlin", country="DE", vat_id="DE123456789"),
    )
    owing = new_reseller(store, roles=())
    record_charge(
        store,
        context(),
        owing.number,
        RecordCharge(amount=Decimal("40.00"), currency="USD", description="wholesale"),
    )
    set_payout_schedule(store, context(), owing.number, SetPayoutSchedule(net_against_credit=True))
    for tenant in (us, de, owing):
        approved_commission(store, tenant, "1000.00")  # 100.00
    wait_projected(database_url, store)
    run_payout_cycle(JAN_STATEMENT.isoformat())
    run_payout_cycle(JAN_PAYMENT.isoformat())

    withheld = paid_event(store, us)
    assert (withheld.vat_amount.amount, withheld.withheld.amount) == (Decimal(0), Decimal("24.00"))
    assert withheld.amount_paid.amount == Decimal("76.00")
    reverse = paid_event(store, de)
    assert reverse.reverse_charge and reverse.vat_country == "NG"
    assert reverse.vat_amount.amount == Decimal("7.50")
    assert reverse.amount_paid.amount == Decimal("100.00")  # VAT self-accounted, not paid
    accounts = {p.account for p in reverse.postings}
    assert {"assets:vat_input", "liabilities:vat_output"} <= accounts
    netted = paid_event(store, owing)
    assert netted.credit_offset.amount == Decimal("40.00")
    assert netted.amount_paid.amount == Decimal("67.50")  # 100 + 7.50 VAT - 40 owed
    assert store.repository.get(credit_account_id(owing.number)).balance.is_zero
    assert netted.invoice_number == f"SB-{owing.code}-000001"

    for event in (withheld, reverse, netted):
        assert all(v == 0 for v in trial_balance(event.postings).values())
    wait_projected(database_url, store)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert all(v == 0 for v in projected_trial_balance(conn).values())


def test_a_rate_recorded_after_the_payment_instant_is_never_used(
    store, database_url, job_broker, store_feed
):
    early, late = (new_reseller(store, currency="KES", roles=()) for _ in range(2))
    for tenant in (early, late):
        set_payout_schedule(
            store, context(), tenant.number, SetPayoutSchedule(payment_currency="GBP")
        )
        approved_commission(store, tenant, "10000.00")  # 1000.00 KES
    record_fx_rate(
        store,
        context(now=JAN_PAYMENT - timedelta(days=1)),
        RecordFxRate(base="KES", quote="GBP", rate=Decimal("0.0061")),
    )
    wait_projected(database_url, store)
    run_payout_cycle(JAN_STATEMENT.isoformat())
    pay_payout(store, context(now=JAN_PAYMENT), early.number, "2027-01", PayoutPolicy())
    # A backdated rate (valid from before the payment instant) recorded after it ...
    backdated = RecordFxRate(
        base="KES", quote="GBP", rate=Decimal("0.0099"), as_of=JAN_PAYMENT - timedelta(hours=2)
    )
    record_fx_rate(store, context(now=JAN_PAYMENT + timedelta(hours=1)), backdated)
    # ... is not used by a payout at that instant made once it is in the store, either.
    run_payout_cycle(JAN_PAYMENT.isoformat())
    book = store.repository.get(fx_book_id("KES", "GBP"))
    assert isinstance(book, FxRateBook)
    assert book.rate_at(JAN_PAYMENT)["rate"] == Decimal("0.0061")
    assert book.rate_at(JAN_PAYMENT + timedelta(hours=2))["rate"] == Decimal("0.0099")
    for tenant in (early, late):
        paid = paid_event(store, tenant)
        assert paid.fx_rate == Decimal("0.0061")
        assert paid.amount_paid.currency == "GBP"
        assert paid.amount_paid.amount == Decimal("6.56")  # 1075.00 KES (7.5% VAT) x 0.0061
        assert paid.paid_at == JAN_PAYMENT
    run_payout_cycle(JAN_PAYMENT.isoformat())  # a rerun after the new rate changes nothing
    assert paid_event(store, late).fx_rate == Decimal("0.0061")


def test_a_worker_killed_midway_through_the_payout_run_and_replaced_pays_each_once(
    store, database_url, job_broker, store_feed, tmp_path
):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from infra.jobs import make_broker
    from tests.conftest import REDIS_URL

    tenants = [new_reseller(store, roles=()) for _ in range(16)]
    for tenant in tenants:
        approved_commission(store, tenant, "600.00")
    wait_projected(database_url, store, timeout_s=60)
    run_payout_cycle(JAN_STATEMENT.isoformat())
    ids = [payout_id(t.number, "2027-01") for t in tenants]

    watcher = psycopg.connect(database_url, autocommit=True)

    def paid() -> int:
        row = watcher.execute(
            "SELECT count(*) FROM ledger_events WHERE topic = %s AND originator_id = ANY(%s)",
            ("domain.commissions.payouts:Payout.Paid", ids),
        ).fetchone()
        return int(row[0]) if row else 0

    def wait_for(condition, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.02)

    namespace = f"ledger-payouts-{uuid.uuid4().hex[:8]}"
    broker = make_broker(REDIS_URL, namespace=namespace)
    broker.declare_queue(QUEUE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_BROKER_URL": REDIS_URL,
        "LEDGER_BROKER_NAMESPACE": namespace,
        "LEDGER_WORKER_THREADS": "1",
        "LEDGER_DB_POOL_SIZE": "2",
        "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_EXPIRY_SWEEP_S": "3600",
    }

    def start_worker(n: int) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "worker"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    first = start_worker(1)
    try:
        broker.enqueue(payout_cycle_job.message(JAN_PAYMENT.isoformat()))
        wait_for(lambda: paid() >= 3, timeout_s=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        midway = paid()
        assert midway < len(tenants), "the worker finished before it could be killed"
        second = start_worker(2)
        try:
            broker.enqueue(payout_cycle_job.message(JAN_PAYMENT.isoformat()))
            broker.enqueue(payout_cycle_job.message(JAN_PAYMENT.isoformat()))
            wait_for(
                lambda: all(payout(store, t).status == "confirmed" for t in tenants), timeout_s=120
            )
            time.sleep(0.5)  # a message still in flight would only find everything paid
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        broker.flush_all()
        broker.close()
    assert paid() == len(tenants)
    watcher.close()
    for tenant in tenants:
        assert event_names(store, payout_id(tenant.number, "2027-01")) == [
            "StatementPrepared",
            "Paid",
            "Confirmed",
        ]
    print(f"killed after {midway} of {len(tenants)} payouts")


def test_a_record_disputed_in_the_dispute_window_is_left_out_of_the_payment(
    store, database_url, job_broker, store_feed
):
    tenant = new_reseller(store, roles=())
    kept = approved_commission(store, tenant, "700.00")
    disputed = approved_commission(store, tenant, "300.00")
    wait_projected(database_url, store)
    run_payout_cycle(JAN_STATEMENT.isoformat())
    assert payout(store, tenant).total.amount == Decimal("100.00")
    (record,) = (store.repository.get(uuid.UUID(c)) for c in disputed)
    record.dispute("the base amount is wrong")
    store.save(record)
    run_payout_cycle(JAN_PAYMENT.isoformat())
    paid = paid_event(store, tenant)
    assert paid.commission_ids == kept and paid.excluded_ids == disputed
    assert paid.gross_commission.amount == Decimal("70.00")
    assert store.repository.get(uuid.UUID(disputed[0])).status == "disputed"
