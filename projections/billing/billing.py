"""Invoices, payments and services as rows, for lists with filters and paging (and for BI).

An invoice row follows its customer account's events: issued (net, tax, total, outstanding),
settled by payments and credit notes oldest first. Services follow their lifecycle events.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope


def _amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


def _opened(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.accounts (account_id, customer_id, reseller_id, currency)"
            " VALUES (%s, %s, %s, %s)"
        ).format(schema),
        (e.aggregate_id, e.data["customer_id"], e.data["reseller_number"], e.data["currency"]),
    )


def _invoice_issued(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.invoices (invoice_id, number, account_id, customer_id, reseller_id,"
            " issued_on, period_start, period_end, currency, net, tax, total, outstanding, paid,"
            " credited, position)"
            " SELECT %s, %s, a.account_id, a.customer_id, a.reseller_id, %s, %s, %s, a.currency,"
            " %s, %s, %s, %s, %s, 0, %s FROM {}.accounts a WHERE a.account_id = %s"
        ).format(schema, schema),
        (
            d["invoice_id"],
            d["number"],
            d["issued_on"],
            d["period_start"],
            d["period_end"],
            _amount(d["net"]),
            _amount(d["tax"]),
            _amount(d["total"]),
            _amount(d["total"]) - _amount(d["credit_applied"]),
            _amount(d["credit_applied"]),
            e.position,
            e.aggregate_id,
        ),
    )


def _settle(cur: Cursor[Any], schema: pgsql.Identifier, allocations: list[Any], paid: bool) -> None:
    column = "paid" if paid else "credited"
    statement = pgsql.SQL(
        "UPDATE {}.invoices SET outstanding = outstanding - %s, {} = {} + %s WHERE invoice_id = %s"
    ).format(schema, pgsql.Identifier(column), pgsql.Identifier(column))
    for allocation in allocations:
        amount = _amount(allocation["amount"])
        cur.execute(statement, (amount, amount, allocation["invoice_id"]))


def _payment(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.payments (payment_id, account_id, reseller_id, amount, currency,"
            " method, reference, effective_date, to_credit, handling, recorded_at)"
            " SELECT %s, %s, a.reseller_id, %s, a.currency, %s, %s, %s, %s, %s, %s"
            " FROM {}.accounts a WHERE a.account_id = %s"
        ).format(schema, schema),
        (
            d["payment_id"],
            e.aggregate_id,
            _amount(d["amount"]),
            d["method"],
            d["reference"],
            d["effective_date"],
            _amount(d["to_credit"]),
            d["handling"],
            e.timestamp,
            e.aggregate_id,
        ),
    )
    _settle(cur, schema, d["allocations"], paid=True)


def _credit_note(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _settle(cur, schema, e.data["allocations"], paid=False)
    cur.execute(
        pgsql.SQL("UPDATE {}.invoices SET credited = credited + %s WHERE invoice_id = %s").format(
            schema
        ),
        (
            _amount(e.data["total"])
            - sum((_amount(a["amount"]) for a in e.data["allocations"]), Decimal(0)),
            e.data["invoice_id"],
        ),
    )


def _service_added(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.services (service_id, customer_id, reseller_id, tariff_id,"
            " service_type, status, updated_at) VALUES (%s, %s, %s, %s, %s, 'pending', %s)"
        ).format(schema),
        (
            e.aggregate_id,
            d["customer_id"],
            d["reseller_number"],
            d["tariff_number"],
            d["service_type"],
            e.timestamp,
        ),
    )


def _service_update(column: str, key: str) -> Handler:
    def handler(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
        cur.execute(
            pgsql.SQL(
                "UPDATE {}.services SET {} = %s, updated_at = %s WHERE service_id = %s"
            ).format(schema, pgsql.Identifier(column)),
            (e.data[key], e.timestamp, e.aggregate_id),
        )

    return handler


class BillingProjector(Projector):
    name = "billing"
    tables = (
        ("accounts", "account_id"),
        ("invoices", "invoice_id"),
        ("payments", "payment_id"),
        ("services", "service_id"),
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.accounts (account_id uuid PRIMARY KEY,"
        " customer_id uuid NOT NULL, reseller_id bigint NOT NULL, currency text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.invoices (invoice_id text PRIMARY KEY,"
        " number text NOT NULL, account_id uuid NOT NULL, customer_id uuid NOT NULL,"
        " reseller_id bigint NOT NULL, issued_on date NOT NULL, period_start date,"
        " period_end date, currency text NOT NULL, net numeric NOT NULL, tax numeric NOT NULL,"
        " total numeric NOT NULL, outstanding numeric NOT NULL CHECK (outstanding >= 0),"
        " paid numeric NOT NULL, credited numeric NOT NULL, position bigint NOT NULL)",
        # Numbers are gap-free and unique per reseller, not across resellers.
        "CREATE UNIQUE INDEX IF NOT EXISTS invoices_reseller_number ON {schema}.invoices"
        " (reseller_id, number)",
        "CREATE INDEX IF NOT EXISTS invoices_reseller ON {schema}.invoices"
        " (reseller_id, issued_on, number)",
        "CREATE TABLE IF NOT EXISTS {schema}.payments (payment_id text NOT NULL,"
        " account_id uuid NOT NULL, reseller_id bigint NOT NULL, amount numeric NOT NULL,"
        " currency text NOT NULL, method text NOT NULL, reference text,"
        " effective_date date NOT NULL, to_credit numeric NOT NULL, handling text NOT NULL,"
        " recorded_at timestamptz NOT NULL, PRIMARY KEY (account_id, payment_id))",
        "CREATE TABLE IF NOT EXISTS {schema}.services (service_id uuid PRIMARY KEY,"
        " customer_id uuid NOT NULL, reseller_id bigint NOT NULL, tariff_id bigint NOT NULL,"
        " service_type text NOT NULL, status text NOT NULL, updated_at timestamptz NOT NULL)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "CustomerAccount.Opened": _opened,
        "CustomerAccount.InvoiceIssued": _invoice_issued,
        "CustomerAccount.PaymentReceived": _payment,
        "CustomerAccount.CreditNoteIssued": _credit_note,
        "CustomerService.Added": _service_added,
        "CustomerService.StatusChanged": _service_update("status", "to_status"),
        "CustomerService.TariffChanged": _service_update("tariff_id", "to_tariff"),
    }


def _rows(
    conn: Connection[Any], query: pgsql.Composed | pgsql.SQL, params: list[Any]
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, Decimal):
                row[key] = str(value)
            elif isinstance(value, datetime | date):
                row[key] = value.isoformat()
            elif value is not None and key.endswith("_id") and not isinstance(value, int | str):
                row[key] = str(value)
    return rows


def list_invoices(
    conn: Connection[Any],
    reseller_id: int,
    status: str | None,
    customer_id: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """A reseller's invoices, oldest first; status 'open' (still owed) or 'settled'."""
    schema = pgsql.Identifier(BillingProjector.live_schema())
    query = pgsql.SQL("SELECT * FROM {}.invoices WHERE reseller_id = %s").format(schema)
    params: list[Any] = [reseller_id]
    if status == "open":
        query += pgsql.SQL(" AND outstanding > 0")
    elif status == "settled":
        query += pgsql.SQL(" AND outstanding = 0")
    if customer_id is not None:
        query += pgsql.SQL(" AND customer_id = %s")
        params.append(customer_id)
    query += pgsql.SQL(" ORDER BY issued_on, number LIMIT %s OFFSET %s")
    return _rows(conn, query, [*params, limit, offset])


def list_services(
    conn: Connection[Any], reseller_id: int, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    schema = pgsql.Identifier(BillingProjector.live_schema())
    query = pgsql.SQL("SELECT * FROM {}.services WHERE reseller_id = %s").format(schema)
    params: list[Any] = [reseller_id]
    if status is not None:
        query += pgsql.SQL(" AND status = %s")
        params.append(status)
    query += pgsql.SQL(" ORDER BY updated_at, service_id LIMIT %s OFFSET %s")
    return _rows(conn, query, [*params, limit, offset])
