"""Journal lines and the trial balance: every recorded posting, summed, never re-derived.

Any event that carries `postings` lands here, one row per posting, with the reseller whose
account it is (`line_resellers`). The trial balance is the signed sum (debits positive) per
currency and must be exactly zero, over everything and over each reseller's lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql

from projections.base import Handler, Projector
from projections.envelope import Envelope


def account_reseller(account: str) -> int | None:
    """The reseller a per-reseller account belongs to (its last segment is the reseller's
    number, e.g. `liabilities:commission_payable:7`); None for the ISP's own accounts."""
    _, _, last = account.rpartition(":")
    return int(last) if last.isdigit() else None


def line_resellers(postings: list[dict[str, Any]], owner: int | None) -> list[int | None]:
    """Whose line each posting is: a per-reseller account's own reseller; a line on one of the
    ISP's accounts (cash, wholesale income, commission expense) belongs to the reseller the
    entry's per-reseller lines name when they name exactly one, else to the event's owner.

    Derived from the postings themselves, so an ancestor's pass-through commission (recorded
    with the customer's reseller as the event's owner) lands on the ancestor, for events
    stored before and after this rule alike."""
    named = [account_reseller(str(p["account"])) for p in postings]
    distinct = {n for n in named if n is not None}
    entry_reseller = next(iter(distinct)) if len(distinct) == 1 else owner
    return [entry_reseller if n is None else n for n in named]


def _postings(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    postings = e.data.get("postings")
    if not postings:
        return
    resellers = line_resellers(postings, e.owner)
    cur.executemany(
        pgsql.SQL(
            "INSERT INTO {}.journal_lines (aggregate_id, version, line_no, position, tenant,"
            " reseller_id, event_type, account, side, amount, currency, effective_date,"
            " recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        [
            (
                e.aggregate_id,
                e.version,
                line_no,
                e.position,
                e.tenant,
                resellers[line_no],
                e.event_type,
                p["account"],
                p["side"],
                Decimal(p["amount"]),
                p["currency"],
                e.data.get("effective_date"),
                e.timestamp,
            )
            for line_no, p in enumerate(postings)
        ],
    )


class JournalProjector(Projector):
    name = "journal"
    tables = (("journal_lines", "aggregate_id, version, line_no"),)
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.journal_lines ("
        " aggregate_id uuid NOT NULL, version bigint NOT NULL, line_no int NOT NULL,"
        " position bigint NOT NULL, tenant bigint NOT NULL, reseller_id bigint,"
        " event_type text NOT NULL,"
        " account text NOT NULL, side text NOT NULL CHECK (side IN ('debit', 'credit')),"
        " amount numeric NOT NULL CHECK (amount > 0), currency text NOT NULL,"
        " effective_date date, recorded_at timestamptz NOT NULL,"
        " PRIMARY KEY (aggregate_id, version, line_no))",
        "CREATE INDEX IF NOT EXISTS journal_lines_reseller ON {schema}.journal_lines (reseller_id)",
    )
    handlers: ClassVar[dict[str, Handler]] = {}
    fallback = _postings


SIGNED_SUM = pgsql.SQL("sum(CASE side WHEN 'debit' THEN amount ELSE -amount END)")


def trial_balance(conn: Connection[Any], reseller_id: int | None = None) -> dict[str, Decimal]:
    """Net of all postings per currency (of one reseller's entries, or of everything)."""
    schema = pgsql.Identifier(JournalProjector.live_schema())
    query = pgsql.SQL("SELECT currency, {} FROM {}.journal_lines").format(SIGNED_SUM, schema)
    params: tuple[Any, ...] = ()
    if reseller_id is not None:
        query += pgsql.SQL(" WHERE reseller_id = %s")
        params = (reseller_id,)
    query += pgsql.SQL(" GROUP BY currency ORDER BY currency")
    return {currency: Decimal(total) for currency, total in conn.execute(query, params)}


def account_balances(conn: Connection[Any], reseller_id: int | None = None) -> list[dict[str, Any]]:
    schema = pgsql.Identifier(JournalProjector.live_schema())
    query = pgsql.SQL("SELECT account, currency, {} FROM {}.journal_lines").format(
        SIGNED_SUM, schema
    )
    params: tuple[Any, ...] = ()
    if reseller_id is not None:
        query += pgsql.SQL(" WHERE reseller_id = %s")
        params = (reseller_id,)
    query += pgsql.SQL(" GROUP BY account, currency ORDER BY account, currency")
    return [
        {"account": account, "currency": currency, "balance": str(total)}
        for account, currency, total in conn.execute(query, params)
    ]
