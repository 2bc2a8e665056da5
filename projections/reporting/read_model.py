"""The reporting read model: what dashboards and reports need and no other projection keeps.

- `resellers`: name, code, currency, customer limit (and room for branding colours).
- `customers` and `status_changes`: every customer's lifecycle with business dates, so that
  "live at the start of a period", "new in a period" and "churned in a period" are queries.
- `services`: each service's type and status (service distribution and utilization).
- `money_facts`: one row per money fact with its business date: invoice lines (net and tax,
  by service type), credit notes, customer payments, refunds, changes of the customer
  receivable (summed from the recorded postings), commissions (signed, by type and status)
  and wholesale charges. Reports group and filter these rows; nothing is re-derived from
  today's rules.
- `schedules`: scheduled reports (the worker's candidates).

Business dates: money facts carry their own (`issued_on`, `effective_date`, a commission's
`period_start`); lifecycle events are dated by the day their request arrived (UTC).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Cursor
from psycopg import sql as pgsql

from domain.ledger.accounts import CUSTOMER_RECEIVABLE
from projections.base import Handler, Projector
from projections.envelope import Envelope

RECEIVABLE_PREFIX = f"{CUSTOMER_RECEIVABLE}:"
LIVE_STATUSES = ("active", "suspended")
"""A customer counts as live (paying) in these statuses; churn is leaving them for inactive."""


def business_day(e: Envelope) -> str:
    """The day a lifecycle event happened: when its request arrived, else when it was stored."""
    received = e.actor.get("received_at")
    return str(received or e.timestamp)[:10]


def _amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


def _fact(
    cur: Cursor[Any],
    schema: pgsql.Identifier,
    e: Envelope,
    line_no: int,
    kind: str,
    amount: Decimal,
    business_date: str,
    customer_from_account: bool = True,
    tax: Decimal = Decimal(0),
    category: str | None = None,
    status: str | None = None,
) -> None:
    """One fact row; reseller, currency and customer come from the account it belongs to."""
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.money_facts (aggregate_id, version, line_no, position, reseller_id,"
            " customer_id, business_date, currency, kind, category, status, amount, tax)"
            " SELECT %s, %s, %s, %s, a.reseller_id, a.customer_id, %s, a.currency, %s, %s, %s,"
            " %s, %s FROM {}.accounts a WHERE a.account_id = %s"
        ).format(schema, schema),
        (
            e.aggregate_id,
            e.version,
            line_no,
            e.position,
            business_date,
            kind,
            category,
            status,
            amount,
            tax,
            e.aggregate_id,
        ),
    )


def _reseller_created(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.resellers (reseller_id, aggregate_id, code, name, currency, parent_id)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (d["number"], e.aggregate_id, d["code"], d["name"], d["currency"], d["parent_number"]),
    )


def _reseller_terms(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.resellers SET customer_limit = %s WHERE aggregate_id = %s").format(
            schema
        ),
        (e.data["customer_limit"], e.aggregate_id),
    )


def _customer_registered(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    day = business_day(e)
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.customers (customer_id, reseller_id, registered_on, status)"
            " VALUES (%s, %s, %s, 'new')"
        ).format(schema),
        (e.aggregate_id, e.data["reseller_number"], day),
    )
    _status_row(cur, schema, e, None, "new", day)


def _status_row(
    cur: Cursor[Any],
    schema: pgsql.Identifier,
    e: Envelope,
    from_status: str | None,
    to_status: str,
    day: str,
) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.status_changes (customer_id, version, reseller_id, changed_on,"
            " from_status, to_status) SELECT customer_id, %s, reseller_id, %s, %s, %s"
            " FROM {}.customers WHERE customer_id = %s"
        ).format(schema, schema),
        (e.version, day, from_status, to_status, e.aggregate_id),
    )


def _customer_status(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.customers SET status = %s WHERE customer_id = %s").format(schema),
        (e.data["to_status"], e.aggregate_id),
    )
    _status_row(cur, schema, e, e.data["from_status"], e.data["to_status"], business_day(e))


def _service_added(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.services (service_id, customer_id, reseller_id, service_type,"
            " status, added_on) VALUES (%s, %s, %s, %s, 'pending', %s)"
        ).format(schema),
        (e.aggregate_id, d["customer_id"], d["reseller_number"], d["service_type"], d["added_on"]),
    )


def _service_status(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.services SET status = %s WHERE service_id = %s").format(schema),
        (e.data["to_status"], e.aggregate_id),
    )


def _account_opened(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.accounts (account_id, reseller_id, customer_id, currency)"
            " VALUES (%s, %s, %s, %s)"
        ).format(schema),
        (e.aggregate_id, d["reseller_number"], d["customer_id"], d["currency"]),
    )


def _credit_account_opened(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.accounts (account_id, reseller_id, customer_id, currency)"
            " VALUES (%s, %s, NULL, %s)"
        ).format(schema),
        (e.aggregate_id, e.data["reseller_number"], e.data["credit_limit"]["currency"]),
    )


def _receivable_change(postings: list[dict[str, str]]) -> Decimal:
    change = Decimal(0)
    for p in postings:
        if p["account"].startswith(RECEIVABLE_PREFIX):
            amount = Decimal(p["amount"])
            change += amount if p["side"] == "debit" else -amount
    return change


def _receivable(
    cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope, line_no: int, day: str
) -> None:
    change = _receivable_change(e.data.get("postings") or [])
    if change != 0:
        _fact(cur, schema, e, line_no, "receivable", change, day)


def _invoice(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    day = d["issued_on"]
    lines = d["lines"]
    for line_no, line in enumerate(lines):
        service_type = None
        if line.get("service_id"):
            cur.execute(
                pgsql.SQL("SELECT service_type FROM {}.services WHERE service_id = %s").format(
                    schema
                ),
                (line["service_id"],),
            )
            row = cur.fetchone()
            service_type = row[0] if row else None
        _fact(
            cur,
            schema,
            e,
            line_no,
            "invoice_line",
            _amount(line["net"]),
            day,
            tax=_amount(line["tax"]),
            category=service_type or "other",
        )
    _receivable(cur, schema, e, len(lines), day)


def _payment(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    day = e.data["effective_date"]
    _fact(cur, schema, e, 0, "payment", _amount(e.data["amount"]), day, category=e.data["method"])
    _receivable(cur, schema, e, 1, day)


def _credit_note(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    day = d["effective_date"]
    _fact(cur, schema, e, 0, "credit_note", _amount(d["net"]), day, tax=_amount(d["tax"]))
    _receivable(cur, schema, e, 1, day)


def _refund(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    day = e.data["effective_date"]
    _fact(cur, schema, e, 0, "refund", _amount(e.data["amount"]), day, category=e.data["method"])


def _wholesale(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    _fact(cur, schema, e, 0, "wholesale", _amount(e.data["amount"]), e.data["effective_date"])


def _commission(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.money_facts (aggregate_id, version, line_no, position, reseller_id,"
            " customer_id, business_date, currency, kind, category, status, amount, tax)"
            " VALUES (%s, %s, 0, %s, %s, %s, %s, %s, 'commission', %s, %s, %s, 0)"
        ).format(schema),
        (
            e.aggregate_id,
            e.version,
            e.position,
            d["reseller_number"],
            d["customer_id"],
            d["period_start"],
            d["commission_amount"]["currency"],
            d["commission_type"],
            d.get("status", "calculated"),
            _amount(d["commission_amount"]),
        ),
    )


def _commission_status(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.money_facts SET status = %s WHERE aggregate_id = %s AND kind = 'commission'"
        ).format(schema),
        (e.data["to_status"], e.aggregate_id),
    )


def _schedule_created(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.schedules (schedule_id, reseller_id, kind, format, frequency,"
            " group_by, service, status, created_on, active) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, true)"
        ).format(schema),
        (
            e.aggregate_id,
            d["reseller_number"],
            d["kind"],
            d["format"],
            d["frequency"],
            d["group_by"],
            d["service"],
            d["status"],
            business_day(e),
        ),
    )


def _schedule_cancelled(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.schedules SET active = false WHERE schedule_id = %s").format(schema),
        (e.aggregate_id,),
    )


class ReportingProjector(Projector):
    name = "reporting"
    tables = (
        ("resellers", "reseller_id"),
        ("customers", "customer_id"),
        ("status_changes", "customer_id, version"),
        ("services", "service_id"),
        ("accounts", "account_id"),
        ("money_facts", "aggregate_id, version, line_no"),
        ("schedules", "schedule_id"),
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.resellers (reseller_id bigint PRIMARY KEY,"
        " aggregate_id uuid NOT NULL UNIQUE, code text NOT NULL, name text NOT NULL,"
        " currency text NOT NULL, parent_id bigint, customer_limit int,"
        " primary_color text, secondary_color text)",
        "CREATE TABLE IF NOT EXISTS {schema}.customers (customer_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, registered_on date NOT NULL, status text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS customers_reseller ON {schema}.customers"
        " (reseller_id, registered_on)",
        "CREATE TABLE IF NOT EXISTS {schema}.status_changes (customer_id uuid NOT NULL,"
        " version bigint NOT NULL, reseller_id bigint NOT NULL, changed_on date NOT NULL,"
        " from_status text, to_status text NOT NULL, PRIMARY KEY (customer_id, version))",
        "CREATE INDEX IF NOT EXISTS status_changes_reseller ON {schema}.status_changes"
        " (reseller_id, changed_on)",
        "CREATE TABLE IF NOT EXISTS {schema}.services (service_id uuid PRIMARY KEY,"
        " customer_id uuid NOT NULL, reseller_id bigint NOT NULL, service_type text NOT NULL,"
        " status text NOT NULL, added_on date NOT NULL)",
        "CREATE INDEX IF NOT EXISTS services_reseller ON {schema}.services (reseller_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.accounts (account_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, customer_id uuid, currency text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.money_facts (aggregate_id uuid NOT NULL,"
        " version bigint NOT NULL, line_no int NOT NULL, position bigint NOT NULL,"
        " reseller_id bigint NOT NULL, customer_id uuid, business_date date NOT NULL,"
        " currency text NOT NULL, kind text NOT NULL, category text, status text,"
        " amount numeric NOT NULL, tax numeric NOT NULL,"
        " PRIMARY KEY (aggregate_id, version, line_no))",
        "CREATE INDEX IF NOT EXISTS money_facts_reseller ON {schema}.money_facts"
        " (reseller_id, kind, business_date)",
        "CREATE TABLE IF NOT EXISTS {schema}.schedules (schedule_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, kind text NOT NULL, format text NOT NULL,"
        " frequency text NOT NULL, group_by text, service text, status text,"
        " created_on date NOT NULL, active boolean NOT NULL)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Reseller.Created": _reseller_created,
        "Reseller.TermsSet": _reseller_terms,
        "Customer.Registered": _customer_registered,
        "Customer.StatusChanged": _customer_status,
        "CustomerService.Added": _service_added,
        "CustomerService.StatusChanged": _service_status,
        "CustomerAccount.Opened": _account_opened,
        "CustomerAccount.InvoiceIssued": _invoice,
        "CustomerAccount.PaymentReceived": _payment,
        "CustomerAccount.CreditNoteIssued": _credit_note,
        "CustomerAccount.RefundIssued": _refund,
        "CreditAccount.Opened": _credit_account_opened,
        "CreditAccount.ChargeRecorded": _wholesale,
        "Commission.Calculated": _commission,
        "Commission.StatusChanged": _commission_status,
        # A void reverses the record in the journal: every commission figure must drop it too.
        "Commission.Voided": _commission_status,
        "ReportSchedule.Created": _schedule_created,
        "ReportSchedule.Cancelled": _schedule_cancelled,
    }
