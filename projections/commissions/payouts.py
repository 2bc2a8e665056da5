"""Payout history, cycle statements, and which commission records await a payout.

`payouts` has one row per payout (its statement, then what was paid or carried forward, then
its receipt); `payable` follows each commission record's status, so the payout job can find the
approved records of a reseller without reading another projector's tables.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope


def _amount(money: dict[str, str] | None) -> Decimal | None:
    return None if money is None else Decimal(money["amount"])


def _prepared(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    lines = [
        {
            "commission_id": line["commission_id"],
            "commission_type": line["commission_type"],
            "amount": line["amount"]["amount"],
            "carried": line["carried"],
        }
        for line in d["lines"]
    ]
    schedule = d["schedule"]
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.payouts (payout_id, reseller_id, cycle, status, period_start,"
            " period_end, prepared_on, dispute_window_ends, pay_on, currency,"
            " opening_carried_forward, total, lines, payment_method, payment_currency,"
            " minimum_threshold)"
            " VALUES (%s, %s, %s, 'statement', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.aggregate_id,
            d["reseller_number"],
            d["cycle"],
            d["period_start"],
            d["period_end"],
            d["prepared_on"],
            d["dispute_window_ends"],
            d["pay_on"],
            d["currency"],
            _amount(d["opening_carried_forward"]),
            _amount(d["total"]),
            json.dumps(lines),
            schedule["payment_method"],
            schedule["payment_currency"],
            _amount(schedule["minimum_threshold"]),
        ),
    )


def _carried(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.payouts SET status = 'carried_forward', decided_on = %s,"
            " commission_ids = %s, excluded_ids = %s, carried_forward = %s"
            " WHERE payout_id = %s"
        ).format(schema),
        (
            d["decided_on"],
            json.dumps(d["commission_ids"]),
            json.dumps(d["excluded_ids"]),
            _amount(d["carried_forward"]),
            e.aggregate_id,
        ),
    )


def _paid(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.payouts SET status = 'paid', decided_on = %s, paid_at = %s,"
            " commission_ids = %s, excluded_ids = %s, gross_commission = %s, vat_rate = %s,"
            " vat_amount = %s, vat_country = %s, reverse_charge = %s, invoice_number = %s,"
            " withheld = %s, credit_offset = %s, fx_rate = %s, fx_as_of = %s, amount_paid = %s,"
            " payment_currency = %s, carried_forward = %s WHERE payout_id = %s"
        ).format(schema),
        (
            d["paid_on"],
            d["paid_at"],
            json.dumps(d["commission_ids"]),
            json.dumps(d["excluded_ids"]),
            _amount(d["gross_commission"]),
            Decimal(d["vat_rate"]),
            _amount(d["vat_amount"]),
            d["vat_country"],
            d["reverse_charge"],
            d["invoice_number"],
            _amount(d["withheld"]),
            _amount(d["credit_offset"]),
            None if d["fx_rate"] is None else Decimal(d["fx_rate"]),
            d["fx_as_of"],
            _amount(d["amount_paid"]),
            d["amount_paid"]["currency"],
            _amount(d["carried_forward"]),
            e.aggregate_id,
        ),
    )


def _confirmed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.payouts SET status = 'confirmed', reference = %s, receipt_number = %s,"
            " confirmed_at = %s WHERE payout_id = %s"
        ).format(schema),
        (d["reference"], d["receipt_number"], d["confirmed_at"], e.aggregate_id),
    )


def _commission(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.payable (commission_id, reseller_id, amount, currency, status)"
            " VALUES (%s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.aggregate_id,
            d["reseller_number"],
            _amount(d["commission_amount"]),
            d["commission_amount"]["currency"],
            d.get("status", "calculated"),
        ),
    )


def _commission_status(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.payable SET status = %s WHERE commission_id = %s").format(schema),
        (e.data["to_status"], e.aggregate_id),
    )


class PayoutsProjector(Projector):
    name = "payouts"
    tables = (("payouts", "payout_id"), ("payable", "commission_id"))
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.payouts (payout_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, cycle text NOT NULL, status text NOT NULL,"
        " period_start date NOT NULL, period_end date NOT NULL, prepared_on date NOT NULL,"
        " dispute_window_ends date NOT NULL, pay_on date NOT NULL, currency text NOT NULL,"
        " opening_carried_forward numeric NOT NULL, total numeric NOT NULL, lines jsonb NOT NULL,"
        " payment_method text NOT NULL, payment_currency text NOT NULL,"
        " minimum_threshold numeric NOT NULL, decided_on date, paid_at timestamptz,"
        " commission_ids jsonb, excluded_ids jsonb, gross_commission numeric, vat_rate numeric,"
        " vat_amount numeric, vat_country text, reverse_charge boolean, invoice_number text,"
        " withheld numeric, credit_offset numeric, fx_rate numeric, fx_as_of timestamptz,"
        " amount_paid numeric, carried_forward numeric, reference text, receipt_number text,"
        " confirmed_at timestamptz, UNIQUE (reseller_id, cycle))",
        "CREATE TABLE IF NOT EXISTS {schema}.payable (commission_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL, amount numeric NOT NULL, currency text NOT NULL,"
        " status text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS payable_reseller ON {schema}.payable (reseller_id, status)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Payout.StatementPrepared": _prepared,
        "Payout.CarriedForward": _carried,
        "Payout.Paid": _paid,
        "Payout.Confirmed": _confirmed,
        "Commission.Calculated": _commission,
        "Commission.StatusChanged": _commission_status,
        # Voiding (with its reversal postings) is an event of its own once plans are merged.
        "Commission.Voided": _commission_status,
    }


def _schema() -> pgsql.Identifier:
    return pgsql.Identifier(PayoutsProjector.live_schema())


def approved_commission_ids(conn: Connection[Any], reseller_id: int, limit: int) -> list[UUID]:
    """Candidates for a reseller's next statement (each record's own state decides)."""
    rows = conn.execute(
        pgsql.SQL(
            "SELECT commission_id FROM {}.payable WHERE reseller_id = %s AND status = 'approved'"
            " ORDER BY commission_id LIMIT %s"
        ).format(_schema()),
        (reseller_id, limit),
    ).fetchall()
    return [row[0] for row in rows]


def resellers_with_payout_work(conn: Connection[Any], limit: int) -> list[int]:
    """Resellers with approved records or a payout not yet closed."""
    rows = conn.execute(
        pgsql.SQL(
            "SELECT reseller_id FROM {s}.payable WHERE status = 'approved'"
            " UNION SELECT reseller_id FROM {s}.payouts WHERE status IN ('statement', 'paid')"
            " ORDER BY 1 LIMIT %s"
        ).format(s=_schema()),
        (limit,),
    ).fetchall()
    return [int(row[0]) for row in rows]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _row_view(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "payout_id": str(r["payout_id"]),
        "reseller_id": r["reseller_id"],
        "cycle": r["cycle"],
        "status": r["status"],
        "period_start": r["period_start"].isoformat(),
        "period_end": r["period_end"].isoformat(),
        "statement_on": r["prepared_on"].isoformat(),
        "dispute_window_ends": r["dispute_window_ends"].isoformat(),
        "pay_on": r["pay_on"].isoformat(),
        "currency": r["currency"],
        "total": str(r["total"]),
        "paid_on": None
        if r["decided_on"] is None or r["status"] == "carried_forward"
        else r["decided_on"].isoformat(),
        "gross_commission": _money(r["gross_commission"]),
        "vat_rate": _money(r["vat_rate"]),
        "vat_amount": _money(r["vat_amount"]),
        "vat_country": r["vat_country"],
        "reverse_charge": r["reverse_charge"],
        "invoice_number": r["invoice_number"],
        "withheld": _money(r["withheld"]),
        "credit_offset": _money(r["credit_offset"]),
        "fx_rate": _money(r["fx_rate"]),
        "fx_as_of": None if r["fx_as_of"] is None else r["fx_as_of"].isoformat(),
        "amount_paid": _money(r["amount_paid"]),
        "payment_currency": r["payment_currency"],
        "payment_method": r["payment_method"],
        "carried_forward": _money(r["carried_forward"]),
        "receipt": None
        if r["reference"] is None
        else {
            "reference": r["reference"],
            "receipt_number": r["receipt_number"],
            "confirmed_at": r["confirmed_at"].isoformat(),
        },
    }


def list_payouts(
    conn: Connection[Any], reseller_id: int, limit: int, offset: int
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL(
                "SELECT * FROM {}.payouts WHERE reseller_id = %s ORDER BY cycle DESC"
                " LIMIT %s OFFSET %s"
            ).format(_schema()),
            (reseller_id, limit, offset),
        )
        return [_row_view(r) for r in cur.fetchall()]


def get_payout(conn: Connection[Any], payout_id: UUID) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.payouts WHERE payout_id = %s").format(_schema()),
            (payout_id,),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return _row_view(row) | {
        "commission_ids": row["commission_ids"],
        "excluded_ids": row["excluded_ids"],
    }


def statement(conn: Connection[Any], reseller_id: int, cycle: str) -> dict[str, Any] | None:
    """The cycle statement: opening carried-forward, the records (clawbacks apart), the total,
    and what became of it (paid, or carried forward)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.payouts WHERE reseller_id = %s AND cycle = %s").format(
                _schema()
            ),
            (reseller_id, cycle),
        )
        row = cur.fetchone()
    if row is None:
        return None
    lines = row["lines"]
    new = [line for line in lines if not line["carried"]]
    earned = sum((Decimal(x["amount"]) for x in new if Decimal(x["amount"]) > 0), Decimal(0))
    clawbacks = sum((Decimal(x["amount"]) for x in new if Decimal(x["amount"]) < 0), Decimal(0))
    view = _row_view(row)
    return {
        "period": cycle,
        "reseller_id": reseller_id,
        "payout_id": view["payout_id"],
        "status": view["status"],
        "period_start": view["period_start"],
        "period_end": view["period_end"],
        "currency": row["currency"],
        "opening_carried_forward": str(row["opening_carried_forward"]),
        "records": lines,
        "earned": str(earned),
        "clawbacks": str(clawbacks),
        "total": str(row["total"]),
        "excluded_ids": row["excluded_ids"] or [],
        "paid": view["gross_commission"] if row["status"] in ("paid", "confirmed") else None,
        "amount_paid": view["amount_paid"],
        "payment_currency": view["payment_currency"],
        "carried_forward": view["carried_forward"],
    }
