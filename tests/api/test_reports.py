"""Dashboards and reports against a known history, computed by hand.

The history, in three consecutive months M0, M1, M2 ending two months before this one (NG tax
7.5%, tariff 40.00 wholesale = retail, commission 10% of each payment):
- M0-15: customers A, B, C, D registered; M0-20: A, B, C active with an active internet
  service each (D stays new).
- M1-01: A, B, C billed for M1: 40.00 + 3.00 tax = 43.00 each (129.00 in all).
- M1-10: A pays 43.00, B pays 20.00 (commission 4.30 + 2.00).
- M2-01: A and B billed for M2 (86.00).
- M2-05: C becomes inactive (churn). M2-15: B pays 66.00 (commission 6.60).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from commands.billing.cycles import month_of
from commands.billing.invoicing import BillingPeriod, bill_customer
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    authorize_tariff,
    define_tariff,
)
from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    add_service,
    change_service_status,
)
from domain.access.roles import Role
from projections.reporting.periods import month_start
from tests.api.helpers import assert_problem
from tests.support.builders import Tenant, context, new_reseller

MONTHS = [month_of(month_start(date.today(), back)) for back in (4, 3, 2)]
M0, M1, M2 = (f"{start.year}-{start.month:02d}" for start, _ in MONTHS)
RANGE = {"date_from": MONTHS[0][0].isoformat(), "date_to": MONTHS[2][1].isoformat()}


def at(month: int, day: int) -> Any:
    start = MONTHS[month][0]
    return context(now=datetime(start.year, start.month, day, 10, tzinfo=UTC))


@pytest.fixture(scope="module")
def history(store) -> tuple[Tenant, int]:
    tenant = new_reseller(store, roles=(Role.ADMIN, Role.READONLY, Role.USER), customer_limit=10)
    made = define_tariff(
        store,
        context(),
        DefineTariff(
            service_type="internet", name="Fibre 40", wholesale_price="40.00", currency="USD"
        ),
    )
    tariff = json.loads(made.body)["tariff_id"]
    authorize_tariff(store, context(), tenant.number, AuthorizeTariff(tariff_id=tariff))
    customers = {}
    for name in "ABCD":
        created = create_customer(
            store,
            at(0, 15),
            CreateCustomer(
                customer_type="person",
                first_name=name,
                last_name="Known",
                reseller_id=tenant.number,
            ),
        )
        customers[name] = uuid.UUID(json.loads(created.body)["customer_id"])
    for name in "ABC":
        service = add_service(store, at(0, 20), customers[name], AddService(tariff_id=tariff))
        change_service_status(
            store,
            at(0, 20),
            uuid.UUID(json.loads(service.body)["service_id"]),
            ChangeServiceStatus(status="active"),
        )
        change_customer_status(
            store, at(0, 20), customers[name], ChangeCustomerStatus(status="active")
        )
    august = BillingPeriod(period_start=MONTHS[1][0], period_end=MONTHS[1][1])
    for name in "ABC":
        assert bill_customer(store, at(1, 1), customers[name], august).status_code == 201

    def pay(month: int, day: int, name: str, amount: str) -> None:
        paid = record_customer_payment(
            store,
            at(month, day),
            customers[name],
            CustomerPayment(amount=Decimal(amount), currency="USD", method="bank_transfer"),
        )
        assert paid.status_code == 201, paid.body

    pay(1, 10, "A", "43.00")
    pay(1, 10, "B", "20.00")
    september = BillingPeriod(period_start=MONTHS[2][0], period_end=MONTHS[2][1])
    for name in "AB":
        assert bill_customer(store, at(2, 1), customers[name], september).status_code == 201
    change_customer_status(store, at(2, 5), customers["C"], ChangeCustomerStatus(status="inactive"))
    pay(2, 15, "B", "66.00")
    return tenant, int(store.recorder.max_notification_id())


def get(client, tenant: Tenant, path: str, head: int, **params: Any) -> Any:
    response = client.get(
        f"/reseller/api/{path}",
        params={"wait_for_position": head, **params},
        headers=tenant.headers(),
    )
    assert response.status_code == 200, response.text
    return response


def test_dashboard_kpis_match_the_hand_computed_figures(client, history):
    tenant, head = history
    board = get(client, tenant, "dashboard", head).json()
    assert board["customers"] == {
        "total": 4,
        "by_status": {"new": 1, "pending": 0, "active": 2, "suspended": 0, "inactive": 1},
    }
    assert board["customer_allocation"] == {"current": 3, "maximum": 10, "utilization": "0.3000"}
    credit = board["credit"]
    # Five invoices, each a 40.00 wholesale charge on the reseller's credit account.
    assert (credit["credit_limit"], credit["balance"], credit["utilization"]) == (
        "1000.00",
        "200.00",
        "0.2000",
    )
    # 215.00 invoiced, 129.00 paid: C's August and A's September invoices are open.
    assert board["outstanding_payments"] == {"receivables": "86.00", "customers_owing": 2}
    assert board["service_distribution"] == {
        "internet": {"pending": 0, "active": 3, "suspended": 0, "limited": 0, "terminated": 0}
    }
    assert board["support"]["tracked"] is True and board["support"]["open_tickets"] == 0
    assert board["recent_activity"] == []  # the history was made by the ISP, not the team
    months = {m["month"]: m for m in board["monthly_series"]}
    assert len(months) == 12
    assert months[M1] == {"month": M1, "revenue": "120.00", "commission": "6.30"}
    assert months[M2] == {"month": M2, "revenue": "80.00", "commission": "6.60"}
    assert board["revenue"]["this_month"] == "0.00"
    growth = {g["month"]: g for g in board["customer_growth"]}
    assert growth[M0]["new_customers"] == 4
    assert growth[M2]["churned_customers"] == 1
    assert growth[M2]["customers_at_end"] == 3


def test_financial_dashboard_by_month_and_quarter(client, history):
    tenant, head = history
    board = get(client, tenant, "dashboard/financial", head, granularity="month", **RANGE).json()
    july, august, september = board["periods"]
    assert july["period"] == M0 and july["new_customers"] == 4
    assert (july["revenue"], july["churn_rate"], july["clv"]) == ("0.00", None, None)
    assert august == august | {
        "period": M1,
        "invoiced_net": "120.00",
        "tax": "9.00",
        "invoiced_total": "129.00",
        "revenue": "120.00",
        "collected": "63.00",
        "collection_rate": "0.4884",  # 63 / 129
        "commission": "6.30",
        "wholesale_cost": "120.00",
        "gross_margin": "0.00",
        "outstanding_receivables": "66.00",
        "live_at_start": 3,
        "churned_customers": 0,
        "churn_rate": "0.0000",
        "arpu": "40.00",
        "clv": None,  # nobody churned: an unbounded lifetime
    }
    assert august["commission_breakdown"] == {
        "by_type": {"recurring": "6.30"},
        "by_status": {"pending": "6.30"},
    }
    assert september == september | {
        "revenue": "80.00",
        "invoiced_total": "86.00",
        "collected": "66.00",
        "collection_rate": "0.7674",  # 66 / 86
        "outstanding_receivables": "86.00",
        "live_at_start": 3,
        "churned_customers": 1,
        "churn_rate": "0.3333",
        "churned_monthly_revenue": "40.00",  # C's August revenue
        "arpu": "40.00",  # 80.00 over A and B
        "clv": "120.00",  # 40.00 / (1/3)
    }
    totals = board["totals"]
    assert (totals["revenue"], totals["collected"], totals["collection_rate"]) == (
        "200.00",
        "129.00",
        "0.6000",
    )
    assert totals["arpu"] == "22.22"  # 200.00 / 3 customers / 3 months, half-up
    quarter = get(client, tenant, "dashboard/financial", head, granularity="quarter", **RANGE)
    quarters = quarter.json()["periods"]
    assert all("-Q" in q["period"] for q in quarters)
    assert sum(Decimal(q["revenue"]) for q in quarters) == Decimal("200.00")
    assert sum(Decimal(q["commission"]) for q in quarters) == Decimal("12.90")


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def expected_table(report: dict[str, Any]) -> list[list[Any]]:
    keys = [c["key"] for c in report["columns"]]
    return [
        keys,
        *([row[k] for k in keys] for row in report["rows"]),
        ["TOTAL", *(report["totals"].get(k) for k in keys[1:])],
    ]


def test_revenue_report_and_its_exports_agree(client, history):
    tenant, head = history
    report = get(client, tenant, "reports/revenue", head, **RANGE).json()
    assert [r["period"] for r in report["rows"]] == [M0, M1, M2]
    assert report["totals"] == report["totals"] | {
        "invoiced_net": "200.00",
        "credit_notes": "0.00",
        "revenue": "200.00",
        "tax": "15.00",
        "invoiced_total": "215.00",
        "collected": "129.00",
        "collection_rate": "0.6000",
    }
    table = expected_table(report)

    as_csv = get(client, tenant, "reports/revenue", head, format="csv", **RANGE)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    assert ".csv" in as_csv.headers["content-disposition"]
    assert csv_rows(as_csv.content) == [["" if v is None else str(v) for v in r] for r in table]

    as_xlsx = client.get(
        "/reseller/api/reports/revenue",
        params=RANGE,
        headers=tenant.headers(
            Accept="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
    )
    assert as_xlsx.status_code == 200, as_xlsx.text
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet["A1"].value.startswith("Reseller ")  # the reseller's name heads the sheet
    cells = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert cells[0] == table[0]
    for got, want in zip(cells[1:], table[1:], strict=True):
        assert got[0] == want[0]
        for value, expected in zip(got[1:], want[1:], strict=True):
            if expected is None:
                assert value is None
            else:
                assert Decimal(str(value)) == Decimal(expected)

    as_pdf = get(client, tenant, "reports/revenue", head, format="pdf", **RANGE)
    assert as_pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert f"Reseller {tenant.code}" in text
    for total in ("215.00", "129.00", "200.00", "0.6000"):
        assert total in text


def test_the_other_reports(client, history):
    tenant, head = history
    churn = get(client, tenant, "reports/churn", head, **RANGE).json()
    september = churn["rows"][2]
    assert september == {
        "period": M2,
        "live_at_start": 3,
        "churned_customers": 1,
        "churn_rate": "0.3333",
        "churned_monthly_revenue": "40.00",
    }
    acquisition = get(client, tenant, "reports/acquisition", head, **RANGE).json()
    assert [r["new_customers"] for r in acquisition["rows"]] == [4, 0, 0]
    assert acquisition["totals"] == {
        "customers_at_start": 0,
        "new_customers": 4,
        "churned_customers": 1,
        "net_growth": 3,
        "customers_at_end": 3,
    }
    active_only = get(client, tenant, "reports/acquisition", head, status="active", **RANGE)
    assert active_only.json()["totals"]["new_customers"] == 2
    commissions = get(client, tenant, "reports/commissions", head, group_by="type", **RANGE).json()
    assert commissions["rows"] == [
        {
            "commission_type": "recurring",
            "records": 3,
            "earned": "12.90",
            "clawed_back": "0.00",
            "net": "12.90",
        }
    ]
    usage = get(client, tenant, "reports/service-utilization", head, **RANGE).json()
    assert usage["rows"] == [
        {
            "service": "internet",
            "services": 3,
            "pending": 0,
            "active": 3,
            "suspended": 0,
            "limited": 0,
            "terminated": 0,
            "utilization": "1.0000",
            "revenue": "200.00",
        }
    ]
    by_service = get(client, tenant, "reports/revenue", head, group_by="service", **RANGE).json()
    assert by_service["rows"] == [
        {
            "service": "internet",
            "invoiced_net": "200.00",
            "tax": "15.00",
            "invoiced_total": "215.00",
        }
    ]
    health = get(
        client, tenant, "reports/financial-health", head, group_by="quarter", **RANGE
    ).json()
    assert "-Q" in health["rows"][0]["period"]
    assert health["totals"]["gross_margin"] == "0.00"  # 200.00 revenue - 200.00 wholesale


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("reports/churn", {"group_by": "service"}, "group_by"),
        ("reports/revenue", {"date_from": "2026-13-01"}, "date_from"),
        ("reports/revenue", {"date_from": "2026-09-01", "date_to": "2026-08-01"}, "date_from"),
        ("reports/revenue", {"format": "doc"}, "format"),
        ("reports/revenue", {"status": "sleeping"}, "status"),
        ("reports/churn", {"status": "active"}, "status"),
        ("reports/commissions", {"service": "internet"}, "service"),
        ("reports/revenue", {"service": "cable"}, "service"),
        ("reports/profits", {}, "kind"),
        ("dashboard/financial", {"granularity": "week"}, "granularity"),
        ("reports/revenue", {"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_to"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(client, history, path, params, field):
    tenant, _ = history
    response = client.get(f"/reseller/api/{path}", params=params, headers=tenant.headers())
    assert_problem(response, 422, field)


def test_tenant_isolation(client, store, history, other_tenant):
    tenant, _ = history
    head = int(store.recorder.max_notification_id())
    for path in ("dashboard", "dashboard/financial", "reports/revenue", "reports/schedules"):
        response = client.get(
            f"/reseller/api/{path}",
            params={"reseller_id": tenant.number},
            headers=other_tenant.headers(),
        )
        assert_problem(response, 404)
    own = get(client, other_tenant, "dashboard", head).json()
    assert own["customers"]["total"] == 0
    assert own["outstanding_payments"]["receivables"] == "0.00"
    report = get(client, other_tenant, "reports/revenue", head, **RANGE).json()
    assert report["totals"]["invoiced_total"] == "0.00"


def test_a_user_without_report_view_is_refused(client, history):
    tenant, _ = history
    response = client.get("/reseller/api/dashboard", headers=tenant.headers(Role.USER))
    assert_problem(response, 403)
    readonly = client.get("/reseller/api/reports/revenue", headers=tenant.headers(Role.READONLY))
    assert readonly.status_code == 200
    schedule = client.post(
        "/reseller/api/reports/schedules",
        json={"kind": "revenue", "format": "csv", "frequency": "monthly"},
        headers=tenant.headers(Role.READONLY),
    )
    assert_problem(schedule, 403)


def test_the_reporting_projection_equals_a_rebuild_from_the_store(client, store, database_url,
                                                                 history):  # fmt: skip
    from projections.reporting.read_model import ReportingProjector
    from replays.diff import diff_schemas
    from replays.rebuild import drop_schema, rebuild
    from tests.support.projection_checks import wait_until_caught_up

    wait_until_caught_up(database_url, store, timeout_s=60)
    with psycopg.connect(database_url, autocommit=True) as conn:
        shadow = "proj_reporting__check_reports"
        rebuild(store, conn, ReportingProjector, 500, target_schema=shadow)
        diffs = diff_schemas(conn, ReportingProjector, ReportingProjector.live_schema(), shadow)
        drop_schema(conn, shadow)
    for table in diffs:
        assert table.equal, table
    rows = {t.table: t.left_rows for t in diffs}
    assert rows["money_facts"] > 0 and rows["status_changes"] > 0 and rows["services"] > 0
