"""Every money figure the API shows ties to the journal (issue 10 §4, must-show 6).

Over generated histories (tests/support/history.py: a top-level reseller with a sub-reseller
and a sub-sub-reseller, customers billed and paying month by month, partial and failed
payments, credit notes and refunds, voids inside the holding period and clawbacks after it,
disputes, wholesale charges and credit-account payments), each figure the dashboards, the
financial dashboard, the reports, the consolidated commissions, the credit account, the ledger
views and the `bi` views show for a reseller equals the sum of the matching journal postings
(`proj_journal.journal_lines`), and each reseller's own lines balance.

Bounded: a few examples of a small history (one tenant, two customers per reseller, three
months), well under a minute on an idle machine.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.commissions.payouts import PayoutPolicy, advance_cycle
from projections.reporting.periods import month_start
from tests.support.builders import context
from tests.support.history import HistoryPlan, generate_history
from tests.support.payouts import approve_all
from tests.support.projection_checks import wait_until_caught_up

ZERO = Decimal(0)


class Journal:
    """Sums of one reseller's journal lines."""

    def __init__(self, conn: psycopg.Connection[Any], reseller: int) -> None:
        self.conn = conn
        self.reseller = reseller

    def signed(
        self, account: str, event_type: str | None = None, side: str | None = None
    ) -> Decimal:
        """Debits positive, credits negative, of the reseller's lines on `account:<reseller>`."""
        query = (
            "SELECT coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0)"
            " FROM proj_journal.journal_lines WHERE reseller_id = %s AND account = %s"
        )
        params: list[Any] = [self.reseller, f"{account}:{self.reseller}"]
        if event_type is not None:
            query += " AND event_type LIKE %s"
            params.append(event_type)
        if side is not None:
            query += " AND side = %s"
            params.append(side)
        row = self.conn.execute(query, params).fetchone()
        assert row is not None
        return Decimal(row[0])

    def commission(self) -> Decimal:
        """Commission the reseller earned, net of voids and clawbacks: its payable account's
        credits from commission records (never its payouts' debits)."""
        return -self.signed("liabilities:commission_payable", "Commission.%")

    def by_account(self) -> dict[str, Decimal]:
        rows = self.conn.execute(
            "SELECT account, sum(CASE side WHEN 'debit' THEN amount ELSE -amount END)"
            " FROM proj_journal.journal_lines WHERE reseller_id = %s GROUP BY account",
            (self.reseller,),
        ).fetchall()
        return {account: Decimal(total) for account, total in rows}


def _get(client: Any, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = client.get(f"/reseller/api{path}", headers=headers, params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def _scalar(conn: psycopg.Connection[Any], query: str, *params: Any) -> Decimal:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return Decimal(row[0] or 0)


def _check_reseller(
    client: Any,
    headers: dict[str, str],
    conn: psycopg.Connection[Any],
    reseller: int,
    first: date,
    today: date,
) -> None:
    journal = Journal(conn, reseller)
    span = {"reseller_id": reseller, "date_from": first.isoformat(), "date_to": today.isoformat()}
    commission = journal.commission()
    revenue = -journal.signed("income:services")
    receivable = journal.signed("assets:customer_receivable")
    collected = journal.signed("assets:cash", "CustomerAccount.PaymentReceived", "debit")
    wholesale = journal.signed(
        "assets:reseller_receivable", "CreditAccount.ChargeRecorded", "debit"
    )
    tax = -journal.signed("liabilities:tax_payable")
    credit_balance = journal.signed("assets:reseller_receivable")

    # The financial dashboard over the whole history.
    financial = _get(client, headers, "/dashboard/financial", granularity="month", **span)
    totals = financial["totals"]
    assert Decimal(totals["commission"]) == commission, reseller
    assert sum(map(Decimal, totals["commission_breakdown"]["by_type"].values()), ZERO) == (
        commission
    )
    assert Decimal(totals["revenue"]) == revenue, reseller
    assert Decimal(totals["tax"]) - Decimal(totals["credit_notes_tax"]) == tax, reseller
    assert Decimal(totals["collected"]) == collected, reseller
    assert Decimal(totals["wholesale_cost"]) == wholesale, reseller
    assert Decimal(totals["outstanding_receivables"]) == receivable, reseller
    periods = financial["periods"]
    assert sum((Decimal(p["commission"]) for p in periods), ZERO) == commission
    assert sum((Decimal(p["revenue"]) for p in periods), ZERO) == revenue

    # The dashboard: its twelve months hold the whole history.
    board = _get(client, headers, "/dashboard", reseller_id=reseller)
    series = board["monthly_series"]
    assert sum((Decimal(m["commission"]) for m in series), ZERO) == commission, reseller
    assert sum((Decimal(m["revenue"]) for m in series), ZERO) == revenue, reseller
    assert Decimal(board["outstanding_payments"]["receivables"]) == receivable
    assert Decimal(board["credit"]["balance"]) == credit_balance
    for row in board["customer_growth"]:
        assert (
            row["customers_at_start"] + row["new_customers"] - row["churned_customers"]
            == row["customers_at_end"]
        ), row

    # Reports.
    commissions = _get(client, headers, "/reports/commissions", group_by="month", **span)
    assert Decimal(commissions["totals"]["net"]) == commission, reseller
    by_type = _get(client, headers, "/reports/commissions", group_by="type", **span)
    assert Decimal(by_type["totals"]["net"]) == commission, reseller
    revenue_report = _get(client, headers, "/reports/revenue", group_by="month", **span)
    assert Decimal(revenue_report["totals"]["revenue"]) == revenue, reseller
    assert Decimal(revenue_report["totals"]["collected"]) == collected, reseller
    health = _get(client, headers, "/reports/financial-health", group_by="quarter", **span)
    assert Decimal(health["totals"]["commission"]) == commission, reseller
    assert Decimal(health["totals"]["wholesale_cost"]) == wholesale, reseller

    # Commission records, the credit account, the ledger views.
    for bounds in ({}, {"period_start": span["date_from"], "period_end": span["date_to"]}):
        consolidated = _get(
            client, headers, "/commissions/consolidated", reseller_id=reseller, **bounds
        )
        own = {r["reseller_id"]: r for r in consolidated["resellers"]}
        assert Decimal(own[reseller]["total"]) == commission, (reseller, bounds)
    credit = _get(client, headers, "/credit-account", reseller_id=reseller)
    assert Decimal(credit["balance"]) == credit_balance, reseller
    accounts = _get(client, headers, "/ledger/accounts", reseller_id=reseller)
    assert {a["account"]: Decimal(a["balance"]) for a in accounts} == journal.by_account()
    balance = _get(client, headers, "/ledger/trial-balance", reseller_id=reseller)
    assert balance["balanced"] is True, (reseller, balance)

    # The bi views.
    assert (
        _scalar(
            conn,
            "SELECT sum(commission_amount) FROM bi.commissions WHERE reseller_id = %s"
            " AND status <> 'voided'",
            reseller,
        )
        == commission
    )
    invoiced = _scalar(conn, "SELECT sum(net) FROM bi.invoices WHERE reseller_id = %s", reseller)
    assert invoiced - _credited_net(conn, reseller) == revenue, reseller
    assert (
        _scalar(conn, "SELECT sum(amount) FROM bi.payments WHERE reseller_id = %s", reseller)
        == collected
    )
    assert (
        _scalar(conn, "SELECT balance FROM bi.credit_accounts WHERE reseller_id = %s", reseller)
        == credit_balance
    )
    for account, total in journal.by_account().items():
        if account.endswith(f":{reseller}"):
            assert (
                _scalar(conn, "SELECT balance FROM bi.trial_balance WHERE account = %s", account)
                == total
            ), account


def _credited_net(conn: psycopg.Connection[Any], reseller: int) -> Decimal:
    """Credit notes' net, from the reporting facts (bi has no credit-note view)."""
    return _scalar(
        conn,
        "SELECT sum(amount) FROM proj_reporting.money_facts WHERE reseller_id = %s"
        " AND kind = 'credit_note'",
        reseller,
    )


def _pay_out(store: Any, database_url: str, resellers: list[int]) -> None:
    """Each reseller's approved records through a payout cycle (statement on the 4th, paid on
    the 15th of a month after the history)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        approved = conn.execute(
            "SELECT reseller_id, commission_id FROM proj_commissions.commissions"
            " WHERE reseller_id = ANY(%s) AND status = 'approved'",
            (resellers,),
        ).fetchall()
    year = date.today().year + 1
    for reseller in resellers:
        ids = [uuid.UUID(str(c)) for r, c in approved if r == reseller]
        for day, hour in ((4, 9), (15, 10)):
            now = datetime(year, 1, day, hour, tzinfo=UTC)
            advance_cycle(store, context(now=now), reseller, lambda ids=ids: ids, PayoutPolicy())


def _check_payouts(
    client: Any, headers: dict[str, str], conn: psycopg.Connection[Any], reseller: int
) -> None:
    journal = Journal(conn, reseller)
    payouts = _get(client, headers, "/commissions/payouts", reseller_id=reseller)
    paid = [p for p in payouts if p["gross_commission"] is not None]
    assert paid, (reseller, payouts)
    gross = sum((Decimal(p["gross_commission"]) for p in paid), ZERO)
    assert gross == journal.signed("liabilities:commission_payable", "Payout.%", "debit")
    offset = sum((Decimal(p["credit_offset"] or 0) for p in paid), ZERO)
    assert offset == -journal.signed("assets:reseller_receivable", "Payout.%", "credit")
    bi_gross = _scalar(
        conn,
        "SELECT sum(gross_commission) FROM bi.payouts WHERE reseller_id = %s"
        " AND paid_at IS NOT NULL",
        reseller,
    )
    assert bi_gross == gross, reseller


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=1, max_value=10**6))
def test_every_money_figure_equals_the_sum_of_its_journal_postings(
    seed, client, isp_headers, store, database_url, clock
):
    today = clock().date()  # the API's clock, which other tests move forward
    first = month_start(today, 4)
    plan = HistoryPlan(
        seed=seed,
        tenants=1,
        customers_per_reseller=2,
        first_month=first,
        last_month=month_start(today, 2),
        close_year=None,
    )
    history = generate_history(store, plan)
    # The generator's reversals do not name their payment; one that does, inside the holding
    # period, voids the payment's records along the chain (the case §4 found miscounted).
    for customer in history.customers[:: plan.customers_per_reseller]:
        path = f"/reseller/api/customers/{customer.customer_id}"
        payment_id = f"void-{seed}-{customer.customer_id.hex[:8]}"
        money = {"amount": "33.33", "currency": customer.currency, "payment_id": payment_id}
        for kind, extra in (("payments", {"method": "card"}), ("chargebacks", {"reason": "bank"})):
            made = client.post(f"{path}/{kind}", headers=isp_headers, json={**money, **extra})
            assert made.status_code == 201, made.text
    # A large payment, cleared and approved, so that every reseller's cycle pays out.
    big = client.post(
        f"/reseller/api/customers/{history.customers[-1].customer_id}/payments",
        headers=isp_headers,
        json={"amount": "2000.00", "currency": history.customers[-1].currency, "method": "cash"},
    )
    assert big.status_code == 201, big.text
    approve_all(store, big.json()["commissions"])
    wait_until_caught_up(database_url, store, timeout_s=60)
    resellers = sorted({r.number for b in history.books for r in b.resellers})
    top = history.books[0].resellers[0].number
    _pay_out(store, database_url, resellers)
    wait_until_caught_up(database_url, store, timeout_s=60)
    with psycopg.connect(database_url, autocommit=True) as conn:
        statuses = conn.execute(
            "SELECT DISTINCT status FROM bi.commissions WHERE reseller_id = ANY(%s)", (resellers,)
        ).fetchall()
        assert {"voided", "paid"} <= {s for (s,) in statuses}
        for reseller in resellers:
            _check_reseller(client, isp_headers, conn, reseller, first, today)
            _check_payouts(client, isp_headers, conn, reseller)
        consolidated = _get(client, isp_headers, "/commissions/consolidated", reseller_id=top)
        (total,) = consolidated["totals"]
        assert Decimal(total["total"]) == sum(
            (Journal(conn, r).commission() for r in resellers), ZERO
        )
