"""Credit account balances and utilization, one row per reseller."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from projections.base import Handler, Projector
from projections.envelope import Envelope


def _opened(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    limit = e.data["credit_limit"]
    zero = Decimal(limit["amount"]) * 0  # zero with the currency's scale, e.g. 0.00
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.credit_accounts (reseller_id, account_id, tenant, currency,"
            " credit_limit, balance, charged_total, paid_total, version, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.data["reseller_number"],
            e.aggregate_id,
            e.tenant,
            limit["currency"],
            Decimal(limit["amount"]),
            zero,
            zero,
            zero,
            e.version,
            e.timestamp,
        ),
    )


def _charged(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    amount = Decimal(e.data["amount"]["amount"])
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.credit_accounts SET balance = balance + %s,"
            " charged_total = charged_total + %s, version = %s, updated_at = %s"
            " WHERE account_id = %s"
        ).format(schema),
        (amount, amount, e.version, e.timestamp, e.aggregate_id),
    )


def _paid(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    amount = Decimal(e.data["amount"]["amount"])
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.credit_accounts SET balance = balance - %s,"
            " paid_total = paid_total + %s, version = %s, updated_at = %s"
            " WHERE account_id = %s"
        ).format(schema),
        (amount, amount, e.version, e.timestamp, e.aggregate_id),
    )


class CreditAccountsProjector(Projector):
    name = "credit_accounts"
    tables = (("credit_accounts", "reseller_id"),)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.credit_accounts ("
        " reseller_id bigint PRIMARY KEY, account_id uuid NOT NULL UNIQUE, tenant bigint NOT NULL,"
        " currency text NOT NULL,"
        " credit_limit numeric NOT NULL, balance numeric NOT NULL, charged_total numeric NOT NULL,"
        " paid_total numeric NOT NULL, version bigint NOT NULL, updated_at timestamptz NOT NULL)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "CreditAccount.Opened": _opened,
        "CreditAccount.ChargeRecorded": _charged,
        "CreditAccount.PaymentRecorded": _paid,
    }


def get_credit_account(conn: Connection[Any], reseller_id: int) -> dict[str, Any] | None:
    schema = pgsql.Identifier(CreditAccountsProjector.live_schema())
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.credit_accounts WHERE reseller_id = %s").format(schema),
            (reseller_id,),
        )
        row = cur.fetchone()
    if row is None:
        return None
    limit: Decimal = row["credit_limit"]
    balance: Decimal = row["balance"]
    utilization = None if limit == 0 else (balance / limit).quantize(Decimal("0.0001"))
    return {
        "reseller_id": row["reseller_id"],
        "currency": row["currency"],
        "credit_limit": str(limit),
        "balance": str(balance),
        "available": str(limit - balance),
        "utilization": None if utilization is None else str(utilization),
        "charged_total": str(row["charged_total"]),
        "paid_total": str(row["paid_total"]),
        "version": row["version"],
        "updated_at": row["updated_at"].isoformat(),
    }
