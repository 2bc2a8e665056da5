"""The `bi` schema as a BI tool sees it: connected as a login in the BI group role, every view
documented in docs/bi.md is there with exactly the documented columns and types, the trial
balance nets to zero, and the event store, projections and auth tables are refused."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.credit.credit_account import RecordCharge, record_charge
from infra.database import DEFAULT_BI_ROLE, ensure_role
from infra.event_store import EVENTS_TABLE
from projections.ledger.journal import JournalProjector
from projections.reporting.bi import VIEWS
from replays.rebuild import rebuild
from tests.api.test_authorization_matrix import _invoice
from tests.support.builders import context, new_reseller
from tests.support.projection_checks import wait_until_caught_up

DOC = Path(__file__).resolve().parents[2] / "docs" / "bi.md"
HEADING = re.compile(r"^### bi\.([a-z_]+)\s*$")
ROW = re.compile(r"^\|\s*([a-z_]+)\s*\|\s*([a-z ]+?)\s*\|")


def documented_views() -> dict[str, list[tuple[str, str]]]:
    """View -> [(column, type)] from the tables under each `### bi.<view>` heading."""
    views: dict[str, list[tuple[str, str]]] = {}
    current: str | None = None
    for line in DOC.read_text().splitlines():
        heading = HEADING.match(line)
        if heading:
            current = heading.group(1)
            views[current] = []
        elif line.startswith("## "):
            current = None
        elif current is not None:
            row = ROW.match(line)
            if row and row.group(1) != "column":
                views[current].append((row.group(1), row.group(2)))
    return views


@pytest.fixture(scope="module")
def bi_url(database_url: str) -> Iterator[str]:
    """A login of our own in the shared BI group (roles are cluster-wide; names are not)."""
    login = f"ledger_bi_test_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(16)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert ensure_role(conn, login, True, member_of=DEFAULT_BI_ROLE, password=password)
    params: dict[str, Any] = conninfo_to_dict(database_url)
    params.update(user=login, password=password)
    try:
        yield make_conninfo(**params)
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP ROLE IF EXISTS {}").format(pgsql.Identifier(login)))


@pytest.fixture(scope="module")
def money(store, database_url, store_feed) -> int:
    """A reseller with a customer invoiced and paid (commissions accrue), a wholesale charge."""
    tenant = new_reseller(store)
    customer, _invoice_id = _invoice(store, tenant.number)
    record_customer_payment(
        store,
        context(),
        uuid.UUID(customer),
        CustomerPayment(amount="10.00", currency="USD", method="card"),
    )
    record_charge(
        store,
        context(),
        tenant.number,
        RecordCharge(amount=Decimal("25.00"), currency="USD", description="wholesale"),
    )
    wait_until_caught_up(database_url, store, timeout_s=30)
    return tenant.number


def test_every_documented_view_has_the_documented_columns(bi_url, money):
    documented = documented_views()
    assert set(documented) == set(VIEWS), (
        "docs/bi.md and projections/reporting/bi.py name other views"
    )
    with psycopg.connect(bi_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'bi' ORDER BY table_name, ordinal_position"
        ).fetchall()
        actual: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in rows:
            actual.setdefault(table, []).append((column, data_type))
        assert actual == documented
        for view in documented:
            query = pgsql.SQL("SELECT * FROM {} LIMIT 5").format(pgsql.Identifier("bi", view))
            conn.execute(query).fetchall()
        counts = {
            view: conn.execute(
                pgsql.SQL("SELECT count(*) FROM {} WHERE reseller_id = %s").format(
                    pgsql.Identifier("bi", view)
                ),
                (money,),
            ).fetchone()[0]
            for view in ("customers", "services", "invoices", "payments", "commissions",
                         "journal_lines", "credit_accounts")
        }  # fmt: skip
        assert all(counts.values()), counts


def test_trial_balance_sums_to_zero(bi_url, money):
    with psycopg.connect(bi_url, autocommit=True) as conn:
        nets = conn.execute(
            "SELECT currency, sum(balance), sum(debit_total) FROM bi.trial_balance"
            " GROUP BY currency"
        ).fetchall()
        lines = conn.execute(
            "SELECT currency, sum(signed_amount) FROM bi.journal_lines GROUP BY currency"
        ).fetchall()
    assert nets and all(net == 0 and debits > 0 for _c, net, debits in nets), nets
    assert all(net == 0 for _c, net in lines), lines


@pytest.mark.parametrize(
    "table",
    [
        f"public.{EVENTS_TABLE}",
        "proj_customers.customers",
        "proj_journal.journal_lines",
        "proj_audit.records",
        "auth.sessions",
        "ledger_relay.position",
    ],
)
def test_everything_outside_bi_is_refused(bi_url, money, table):
    schema, name = table.split(".")
    with (
        psycopg.connect(bi_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(pgsql.SQL("SELECT 1 FROM {} LIMIT 1").format(pgsql.Identifier(schema, name)))


def test_the_views_survive_a_projection_swap(bi_url, money, store, database_url):
    """A rebuild swaps a new journal in and drops the old tables; the views (and the BI
    role's right to read them) follow the new tables."""
    with psycopg.connect(bi_url, autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM bi.trial_balance").fetchone()[0]
    with psycopg.connect(database_url, autocommit=True) as conn:
        report = rebuild(store, conn, JournalProjector, 500)
        assert report.swapped
    with psycopg.connect(bi_url, autocommit=True) as conn:
        after = conn.execute("SELECT count(*) FROM bi.trial_balance").fetchone()[0]
        nets = conn.execute(
            "SELECT sum(balance) FROM bi.trial_balance GROUP BY currency"
        ).fetchall()
    assert after >= before > 0
    assert all(net == 0 for (net,) in nets)
