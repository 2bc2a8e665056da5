"""Billing runs and the expiry sweep as Dramatiq jobs through the real Redis broker: a run sent
three times (twice in a row and concurrently) bills each customer once; a worker process killed
midway and replaced bills each customer once; invoice numbers stay gap-free."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dramatiq import Worker

from commands.billing.cycles import month_of
from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    authorize_tariff,
    define_tariff,
)
from commands.credit.credit_account import (
    RequestEmergencyCredit,
    grant_emergency_credit,
    request_emergency_credit,
)
from commands.customers.customers import CreateCustomer, create_customer
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    add_service,
    change_service_status,
)
from domain.billing.customer_account import BillingRecord, CustomerAccount, customer_account_id
from domain.catalogue.tariffs import Counter
from domain.credit.credit_account import credit_account_id
from infra.jobs import QUEUE, billing_run_job, expire_emergency_credit_job, make_broker
from tests.conftest import REDIS_URL
from tests.support.builders import context, new_reseller
from tests.support.privacy import PRIVACY_ENV

REPO = Path(__file__).resolve().parents[2]
PERIOD = month_of((date.today().replace(day=1) + timedelta(days=32)).replace(day=1))


def reseller_with_customers(store, count: int):
    tenant = new_reseller(store, roles=(), credit_limit="1000000.00")
    made = define_tariff(
        store,
        context(),
        DefineTariff(
            service_type="internet", name="Fibre", wholesale_price="20.00", currency="USD"
        ),
    )
    tariff = json.loads(made.body)["tariff_id"]
    authorize_tariff(store, context(), tenant.number, AuthorizeTariff(tariff_id=tariff))
    customers = []
    for i in range(count):
        created = create_customer(
            store,
            context(),
            CreateCustomer(
                customer_type="person",
                first_name=f"B{i}",
                last_name="Run",
                reseller_id=tenant.number,
            ),
        )
        customer = uuid.UUID(json.loads(created.body)["customer_id"])
        service = add_service(store, context(), customer, AddService(tariff_id=tariff))
        change_service_status(
            store,
            context(),
            uuid.UUID(json.loads(service.body)["service_id"]),
            ChangeServiceStatus(status="active"),
        )
        customers.append(customer)
    return tenant, customers


def invoice_numbers(store, customers) -> list[str]:
    numbers = []
    for customer in customers:
        try:
            account = store.repository.get(customer_account_id(customer))
        except Exception:
            continue
        assert isinstance(account, CustomerAccount)
        numbers += [i["number"] for i in account.invoices.values()]
    return numbers


def issued(store, tenant) -> int:
    try:
        return store.repository.get(Counter.create_id(f"invoices:{tenant.number}")).last
    except Exception:
        return 0


def wait_for(condition, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def assert_billed_once(store, tenant, customers):
    numbers = invoice_numbers(store, customers)
    assert len(numbers) == len(customers)  # one invoice each, none twice
    assert sorted(numbers) == [f"{tenant.code}-{n:06d}" for n in range(1, len(customers) + 1)]


def test_a_billing_run_sent_three_times_bills_once(store, job_broker):
    tenant, customers = reseller_with_customers(store, 10)
    worker = Worker(job_broker, worker_threads=4)
    worker.start()
    try:
        start, end = (d.isoformat() for d in PERIOD)
        billing_run_job.send(tenant.number, start, end)
        billing_run_job.send(tenant.number, start, end)
        wait_for(lambda: issued(store, tenant) >= len(customers))
        billing_run_job.send(tenant.number, start, end)
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    assert_billed_once(store, tenant, customers)


def test_the_expiry_sweep_runs_in_a_worker(store, job_broker):
    tenant = new_reseller(store, roles=())
    long_ago = datetime.now(UTC) - timedelta(hours=49)
    request_emergency_credit(
        store,
        context(now=long_ago),
        tenant.number,
        RequestEmergencyCredit(amount="100.00", currency="USD", reason="weekend"),
    )
    account = store.repository.get(credit_account_id(tenant.number))
    request_id = next(iter(account.emergency_requests))
    grant_emergency_credit(store, context(now=long_ago), tenant.number, request_id)
    worker = Worker(job_broker, worker_threads=2)
    worker.start()
    try:
        expire_emergency_credit_job.send()
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    events = [type(e).__name__ for e in store.events.get(credit_account_id(tenant.number))]
    assert events.count("EmergencyCreditExpired") == 1
    assert store.repository.get(credit_account_id(tenant.number)).emergency is None


def test_a_worker_killed_midway_and_replaced_bills_each_customer_once(
    store, database_url, tmp_path
):
    tenant, customers = reseller_with_customers(store, 40)
    namespace = f"ledger-crash-{uuid.uuid4().hex[:8]}"
    broker = make_broker(REDIS_URL, namespace=namespace)
    broker.declare_queue(QUEUE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {
        "LEDGER_DATABASE_URL": database_url,
        **PRIVACY_ENV,
        "LEDGER_BROKER_URL": REDIS_URL,
        "LEDGER_BROKER_NAMESPACE": namespace,
        "LEDGER_WORKER_THREADS": "1",
        "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_EXPIRY_SWEEP_S": "3600",
    }

    def start_worker(n: int) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "worker"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    start, end = (d.isoformat() for d in PERIOD)
    first = start_worker(1)
    try:
        broker.enqueue(billing_run_job.message(tenant.number, start, end))
        wait_for(lambda: issued(store, tenant) >= 5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        midway = issued(store, tenant)
        assert midway < len(customers), "the worker finished before it could be killed"
        second = start_worker(2)
        try:
            broker.enqueue(billing_run_job.message(tenant.number, start, end))
            wait_for(lambda: issued(store, tenant) >= len(customers), timeout_s=120)
            time.sleep(0.5)  # anything still in flight would only find the customer billed
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        broker.flush_all()
        broker.close()
    assert_billed_once(store, tenant, customers)


def test_a_cycle_run_bills_each_customer_for_its_own_period(store, job_broker):
    from commands.billing.cycles import SetBillingCycle, set_billing_cycle
    from domain.customers.customer import cycle_period
    from infra.jobs import billing_cycle_run_job

    tenant, customers = reseller_with_customers(store, 4)
    days = [1, 10, 20, 28]
    for customer, day in zip(customers, days, strict=True):
        set_billing_cycle(store, context(), customer, SetBillingCycle(billing_day=day))
    on = PERIOD[0] + timedelta(days=14)
    worker = Worker(job_broker, worker_threads=2)
    worker.start()
    try:
        billing_cycle_run_job.send(tenant.number, on.isoformat())
        wait_for(lambda: issued(store, tenant) >= len(customers))
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    for customer, day in zip(customers, days, strict=True):
        account = store.repository.get(customer_account_id(customer))
        (invoice,) = account.invoices.values()
        start, _ = cycle_period(day, on)
        assert invoice["number"].startswith(tenant.code)
        record = store.repository.get(
            BillingRecord.create_id(customer, start, cycle_period(day, on)[1])
        )
        assert record.invoice_id is not None
    assert_billed_once(store, tenant, customers)


def test_commissions_clear_after_their_holding_period_in_a_worker(
    store, job_broker, client, isp_headers
):
    from commands.billing.payments import CustomerPayment, record_customer_payment
    from tests.api.helpers import position

    tenant, customers = reseller_with_customers(store, 2)
    # Recorded 40 days ago (a payment merely dated then would be held from today).
    old = record_customer_payment(
        store,
        context(now=datetime.now(UTC) - timedelta(days=40)),
        customers[0],
        CustomerPayment(
            amount="50.00",
            currency="USD",
            method="cash",
            effective_date=date.today() - timedelta(days=40),
        ),
    )
    fresh = record_customer_payment(
        store,
        context(),
        customers[1],
        CustomerPayment(amount="50.00", currency="USD", method="cash"),
    )
    (due,) = json.loads(old.body)["commissions"]
    (not_due,) = json.loads(fresh.body)["commissions"]
    client.get(
        "/reseller/api/commissions",
        headers=isp_headers,
        params={"reseller_id": tenant.number, "wait_for_position": fresh.position},
    )
    worker = Worker(job_broker, worker_threads=2)
    worker.start()
    try:
        from infra.jobs import clear_commissions_job

        clear_commissions_job.send()
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    assert store.repository.get(uuid.UUID(due)).status == "calculated"
    assert store.repository.get(uuid.UUID(not_due)).status == "pending"
    approved = client.post(f"/reseller/api/commissions/{due}/approve", headers=isp_headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"/reseller/api/commissions/{not_due}/approve", headers=isp_headers)
    assert again.status_code == 422
    listed = client.get(
        "/reseller/api/commissions",
        headers=isp_headers,
        params={
            "reseller_id": tenant.number,
            "status": "approved",
            "wait_for_position": position(approved),
        },
    ).json()
    assert [c["commission_id"] for c in listed] == [due]
