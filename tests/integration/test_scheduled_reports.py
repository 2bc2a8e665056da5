"""Scheduled reports through the real Redis broker: the sweep and the generation job each run
twice and store one file per schedule and period; the file downloads through the API, parses,
and stays inside its tenant; a cancelled schedule generates nothing more."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from dramatiq import Worker
from openpyxl import load_workbook

from domain.access.roles import Role
from domain.reporting.schedule import previous_period
from infra.jobs import QUEUE, generate_report_job, scheduled_reports_job
from tests.api.helpers import assert_problem, position
from tests.support.builders import new_reseller


def run_jobs(job_broker, *sends) -> None:
    worker = Worker(job_broker, worker_threads=2)
    worker.start()
    try:
        for send in sends:
            send()
            job_broker.join(QUEUE, timeout=60_000)
            worker.join()
    finally:
        worker.stop()


def files(client, tenant, schedule_id: str) -> list[dict]:
    response = client.get(
        "/reseller/api/reports/files", params={"schedule_id": schedule_id}, headers=tenant.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


def schedule(client, tenant, **body) -> tuple[str, int]:
    made = client.post("/reseller/api/reports/schedules", json=body, headers=tenant.headers())
    assert made.status_code == 201, made.text
    return made.json()["schedule_id"], position(made)


def test_scheduled_reports_are_generated_once_per_period(client, store, job_broker, other_tenant):
    tenant = new_reseller(store, roles=(Role.ADMIN, Role.MANAGER))
    monthly, head = schedule(client, tenant, kind="revenue", format="csv", frequency="monthly")
    quarterly, head = schedule(
        client, tenant, kind="acquisition", format="xlsx", frequency="quarterly"
    )
    listed = client.get(
        "/reseller/api/reports/schedules",
        params={"wait_for_position": head},
        headers=tenant.headers(),
    ).json()
    assert {s["schedule_id"] for s in listed} == {monthly, quarterly}
    assert all(s["active"] for s in listed)

    run_jobs(job_broker, scheduled_reports_job.send, scheduled_reports_job.send)
    today = datetime.now(UTC).date()
    last_month = previous_period("monthly", today)
    (made,) = files(client, tenant, monthly)
    assert (made["period_start"], made["period_end"]) == tuple(d.isoformat() for d in last_month)
    assert made["format"] == "csv" and made["kind"] == "revenue"
    (quarter_file,) = files(client, tenant, quarterly)
    assert quarter_file["period_start"] == previous_period("quarterly", today)[0].isoformat()

    # An explicit period, generated twice by two jobs: still one file for it.
    older = previous_period("monthly", last_month[0])
    args = (monthly, older[0].isoformat(), older[1].isoformat())
    run_jobs(
        job_broker,
        lambda: generate_report_job.send(*args),
        lambda: generate_report_job.send(*args),
    )
    assert [f["period_start"] for f in files(client, tenant, monthly)] == [
        older[0].isoformat(),
        last_month[0].isoformat(),
    ]

    download = client.get(
        f"/reseller/api/reports/files/{made['file_id']}", headers=tenant.headers()
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert made["filename"] in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][0] == "period" and rows[-1][0] == "TOTAL"
    workbook = client.get(
        f"/reseller/api/reports/files/{quarter_file['file_id']}", headers=tenant.headers()
    )
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet["A1"].value == f"Reseller {tenant.code}"

    # Another tenant sees none of it.
    assert_problem(
        client.get(
            f"/reseller/api/reports/files/{made['file_id']}", headers=other_tenant.headers()
        ),
        404,
    )
    assert files(client, other_tenant, monthly) == []
    assert_problem(
        client.delete(f"/reseller/api/reports/schedules/{monthly}", headers=other_tenant.headers()),
        404,
    )

    # The team's actions show on the dashboard's recent activity.
    board = client.get(
        "/reseller/api/dashboard", params={"wait_for_position": head}, headers=tenant.headers()
    ).json()
    assert [a["event_type"] for a in board["recent_activity"]][:2] == [
        "ReportSchedule.Created",
        "ReportSchedule.Created",
    ]

    cancelled = client.delete(
        f"/reseller/api/reports/schedules/{monthly}", headers=tenant.headers()
    )
    assert cancelled.status_code == 200 and cancelled.json()["active"] is False
    client.get(
        "/reseller/api/reports/schedules",
        params={"wait_for_position": position(cancelled)},
        headers=tenant.headers(),
    )
    oldest = previous_period("monthly", older[0])
    run_jobs(
        job_broker,
        lambda: generate_report_job.send(monthly, oldest[0].isoformat(), oldest[1].isoformat()),
    )
    assert len(files(client, tenant, monthly)) == 2


def test_a_schedule_with_a_bad_filter_is_refused_naming_it(client, tenant):
    for body, field in (
        (
            {"kind": "churn", "format": "csv", "frequency": "monthly", "group_by": "service"},
            "group_by",
        ),
        ({"kind": "revenue", "format": "doc", "frequency": "monthly"}, "format"),
        ({"kind": "revenue", "format": "pdf", "frequency": "weekly"}, "frequency"),
        ({"kind": "churn", "format": "pdf", "frequency": "monthly", "status": "active"}, "status"),
    ):
        response = client.post(
            "/reseller/api/reports/schedules", json=body, headers=tenant.headers()
        )
        assert_problem(response, 422, field)
