"""The period calculation as a Dramatiq job through the real Redis broker: sent three times
(twice at once, then again after it finished) it creates each record once."""

from __future__ import annotations

from dramatiq import Worker

from infra.jobs import QUEUE, calculate_commissions_job
from tests.support.commission_world import (
    commissions_of,
    customer,
    plan,
    reseller,
    service,
    tariff,
)


def test_a_calculation_job_sent_three_times_creates_each_record_once(store, job_broker):
    top = reseller(store, "15.00")
    leaf = reseller(store, "8.00", parent=top.number)
    plan(
        store,
        leaf.number,
        "2024-01-01",
        setup={"amount": "25.00"},
        retention={"milestones": [{"months": 1, "amount": "5.00"}]},
    )
    customers = []
    for since in ("2023-12-10", "2024-01-10", "2024-01-31"):
        who = customer(store, leaf.number)
        service(store, who, tariff(store, leaf.number), [(since, "active")])
        customers.append(who)
    worker = Worker(job_broker, worker_threads=2)
    worker.start()
    try:
        calculate_commissions_job.send(leaf.number, "2024-01")
        calculate_commissions_job.send(leaf.number, "2024-01")
        job_broker.join(QUEUE, timeout=60_000)
        calculate_commissions_job.send(leaf.number, "2024-01")
        job_broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    made = [r for who in customers for r in commissions_of(store, who)]
    # Setup for the two activated in January (the 31st included), retention for the one whose
    # first month ended on 10 January: once each, however often the job ran.
    assert sorted((r.commission_type, str(r.commission_amount.amount)) for r in made) == [
        ("retention", "5.00"),
        ("setup", "25.00"),
        ("setup", "25.00"),
    ]
