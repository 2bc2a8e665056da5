"""Issue 10 §4 regressions: each figure the API shows ties to the journal's postings.

One chain (a top-level reseller at 15%, its sub-reseller at 8%), a customer of the
sub-reseller who pays 99.99 (shares 7.99 + 7.00) and 20.00 that is refunded inside the holding
period (both records voided), through the real API and store feed."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest

from domain.billing.invoice_lines import shown_quantity
from tests.api.helpers import position, seed_customer
from tests.support.commission_world import service, tariff

TOP_RATE, SUB_RATE = "15.00", "8.00"


def _post(client: Any, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/reseller/api{path}", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response


@pytest.fixture(scope="module")
def chain(client: Any, isp_headers: dict[str, str]) -> dict[str, Any]:
    top = _post(
        client,
        isp_headers,
        "/resellers",
        {
            "reseller_code": f"JT{uuid.uuid4().hex[:8].upper()}",
            "name": "Ties top",
            "country": "US",
            "currency": "USD",
            "credit_limit": "500000.00",
            "commission_percent": TOP_RATE,
            "opened_on": "2000-01-01",  # the quantities test bills a past period
        },
    ).json()
    sub = _post(
        client,
        isp_headers,
        "/resellers",
        {
            "reseller_code": f"JS{uuid.uuid4().hex[:8].upper()}",
            "parent_reseller_id": top["reseller_id"],
            "name": "Ties sub",
            "country": "US",
            "currency": "USD",
            "commission_percent": SUB_RATE,
            "credit_limit": "1000.00",
            "opened_on": "2000-01-01",
        },
    ).json()
    customer = _post(client, isp_headers, "/customers", seed_customer(sub["reseller_id"])).json()
    pay = f"/customers/{customer['customer_id']}/payments"
    _post(client, isp_headers, pay, {"amount": "99.99", "currency": "USD", "method": "card"})
    voided = _post(
        client,
        isp_headers,
        pay,
        {"amount": "20.00", "currency": "USD", "method": "card", "payment_id": "jt-void"},
    )
    assert len(voided.json()["commissions"]) == 2
    refund = _post(
        client,
        isp_headers,
        f"/customers/{customer['customer_id']}/refunds",
        {"amount": "20.00", "currency": "USD", "method": "card", "payment_id": "jt-void"},
    )
    return {
        "top": top["reseller_id"],
        "sub": sub["reseller_id"],
        "customer": customer["customer_id"],
        "head": position(refund),
    }


def _journal_payable(database_url: str, reseller: int) -> Decimal:
    """What the journal says the ISP owes the reseller in commission (credits on its payable
    account from commission records, debits from their voids), whoever's line it is."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(CASE side WHEN 'credit' THEN amount ELSE -amount END), 0)"
            " FROM proj_journal.journal_lines WHERE account = %s"
            " AND event_type LIKE 'Commission.%%'",
            (f"liabilities:commission_payable:{reseller}",),
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def _get(client: Any, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = client.get(f"/reseller/api{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_voided_commission_is_in_no_dashboard_or_report(
    client, isp_headers, chain, database_url, clock
):
    top, head = chain["top"], chain["head"]
    today = clock().date()  # the API's clock: other tests move it forward
    month = f"{today.year}-{today.month:02d}"
    _get(client, isp_headers, "/ledger/trial-balance", wait_for_position=head)
    journal = _journal_payable(database_url, top)
    assert journal == Decimal("7.00")  # 1.40 on the refunded payment was voided
    board = _get(client, isp_headers, "/dashboard", reseller_id=top, wait_for_position=head)
    series = {m["month"]: m for m in board["monthly_series"]}
    assert Decimal(series[month]["commission"]) == journal
    financial = _get(
        client,
        isp_headers,
        "/dashboard/financial",
        reseller_id=top,
        date_from=today.replace(day=1).isoformat(),
        date_to=today.isoformat(),
    )
    assert Decimal(financial["totals"]["commission"]) == journal
    assert financial["totals"]["commission_breakdown"]["by_type"] == {"recurring": "7.00"}
    report = _get(
        client,
        isp_headers,
        "/reports/commissions",
        reseller_id=top,
        date_from=today.replace(day=1).isoformat(),
        date_to=today.isoformat(),
    )
    assert Decimal(report["totals"]["net"]) == journal
    assert report["totals"]["records"] == 1
    consolidated = _get(
        client, isp_headers, "/commissions/consolidated", reseller_id=top, wait_for_position=head
    )
    per_reseller = {r["reseller_id"]: r for r in consolidated["resellers"]}
    assert Decimal(per_reseller[top]["total"]) == journal
    assert per_reseller[top]["by_type"] == {"recurring": "7.00"}
    assert per_reseller[top]["by_status"]["voided"] == "1.40"
    both = journal + _journal_payable(database_url, chain["sub"])
    assert Decimal(consolidated["totals"][0]["total"]) == both == Decimal("14.99")


def test_a_resellers_own_ledger_holds_its_pass_through_share(client, isp_headers, chain):
    top, head = chain["top"], chain["head"]
    _get(client, isp_headers, "/ledger/trial-balance", wait_for_position=head)
    account = f"liabilities:commission_payable:{top}"

    def payable(rows: list[dict[str, Any]]) -> Decimal:
        return sum((Decimal(r["balance"]) for r in rows if r["account"] == account), Decimal(0))

    everything = payable(_get(client, isp_headers, "/ledger/accounts"))
    assert everything == Decimal("-7.00")
    as_isp = payable(_get(client, isp_headers, "/ledger/accounts", reseller_id=top))
    token = _post(
        client, isp_headers, "/tokens", {"label": "ties", "role": "admin", "reseller_id": top}
    ).json()["token"]
    own_headers = {"Authorization": f"Bearer {token}"}
    own = payable(_get(client, own_headers, "/ledger/accounts"))
    assert own == as_isp == everything
    # Each reseller's lines balance on their own, and the sub-reseller holds none of the top's.
    for reseller in (top, chain["sub"]):
        assert _get(client, isp_headers, "/ledger/trial-balance", reseller_id=reseller)["balanced"]
    sub_view = _get(client, isp_headers, "/ledger/accounts", reseller_id=chain["sub"])
    assert all(not r["account"].endswith(f":{top}") for r in sub_view)


def test_a_pass_through_record_shows_the_rate_it_was_paid_at(client, isp_headers, chain):
    head = chain["head"]
    records = {
        reseller: _get(
            client,
            isp_headers,
            "/commissions",
            reseller_id=reseller,
            status="pending",
            wait_for_position=head,
        )
        for reseller in (chain["top"], chain["sub"])
    }
    (top_record,) = records[chain["top"]]
    (sub_record,) = records[chain["sub"]]
    assert (sub_record["base_amount"], sub_record["commission_rate"]) == ("99.99", "8.00")
    assert sub_record["commission_amount"] == "7.99"
    assert (top_record["base_amount"], top_record["commission_rate"]) == ("99.99", "7.00")
    assert top_record["commission_amount"] == "7.00"
    for record in (top_record, sub_record):
        product = Decimal(record["base_amount"]) * Decimal(record["commission_rate"]) / 100
        assert abs(product - Decimal(record["commission_amount"])) < Decimal("0.01"), record


def test_a_reseller_shows_the_credit_limit_its_credit_account_records(client, isp_headers, chain):
    for reseller, limit in ((chain["top"], "500000.00"), (chain["sub"], "1000.00")):
        shown = _get(client, isp_headers, f"/resellers/{reseller}")
        account = _get(client, isp_headers, "/credit-account", reseller_id=reseller)
        assert shown["credit_limit"] == account["credit_limit"] == limit
    (listed,) = _get(client, isp_headers, "/sub-resellers", reseller_id=chain["top"])
    assert listed["credit_limit"] == "1000.00"


def test_growth_rows_reconcile(client, isp_headers, chain, clock):
    sub = chain["sub"]
    made = [
        _post(client, isp_headers, "/customers", seed_customer(sub)).json()["customer_id"]
        for _ in range(2)
    ]
    # One leaves before it ever goes live: on the books, then off.
    closed = client.post(
        f"/reseller/api/customers/{made[0]}/status",
        headers=isp_headers,
        json={"status": "inactive", "reason": "signed up twice"},
    )
    assert closed.status_code == 200, closed.text
    board = _get(
        client, isp_headers, "/dashboard", reseller_id=sub, wait_for_position=position(closed)
    )
    today = board["customer_growth"][-1]
    assert (today["new_customers"], today["churned_customers"]) == (3, 1)
    for row in board["customer_growth"]:
        assert (
            row["customers_at_start"] + row["new_customers"] - row["churned_customers"]
            == row["customers_at_end"]
        ), row
        assert row["net_growth"] == row["customers_at_end"] - row["customers_at_start"]
    report = _get(
        client,
        isp_headers,
        "/reports/acquisition",
        reseller_id=sub,
        date_from=clock().date().replace(day=1).isoformat(),
        date_to=clock().date().isoformat(),
    )
    for row in [*report["rows"], report["totals"]]:
        assert (
            row["customers_at_start"] + row["new_customers"] - row["churned_customers"]
            == row["customers_at_end"]
        ), row


def test_quantities_are_shown_at_four_places_and_money_is_unchanged(
    client, isp_headers, store, chain
):
    tariff_number = tariff(store, chain["sub"], price="40.00")
    customer = _post(client, isp_headers, "/customers", seed_customer(chain["sub"])).json()
    service(store, uuid.UUID(customer["customer_id"]), tariff_number, [("2025-01-02", "active")])
    proforma = _get(
        client,
        isp_headers,
        f"/customers/{customer['customer_id']}/invoices/proforma",
        period_start="2025-01-01",
        period_end="2025-01-31",
    )
    (line,) = proforma["lines"]
    assert line["quantity"] == "0.9677"
    exact = Decimal(30) / Decimal(31) * Decimal(line["unit_price"])
    assert Decimal(line["net"]) == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert shown_quantity(Decimal(1)) == "1.0000"
