"""Tax statements read model: 1099-NEC and VAT statements as known at any instant.

Every table is append-only: one row per payout payment (its business date `paid_on` and the
instant it was recorded), one per tax-profile version and one per reseller. "As known at T"
keeps the rows recorded at or before T (the profile version in force is the latest recorded by
T), which is exactly what a projection built at T held; "effective at D" keeps everything known
now whose business date is on or before D, so backdated entries and corrections show. A
payout's `Paid` event is its self-billed commission invoice, so the same row feeds both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from domain.commissions.statements import (
    CommissionPayment,
    Form1099NEC,
    PartyDetails,
    SelfBilledInvoice,
    VatStatement,
    forms_1099_nec,
    nec_amount_in_usd,
    nec_reporting_threshold,
    vat_statement,
)
from domain.ledger.money import Money
from domain.partners.reseller import reseller_id
from projections.base import Handler, Projector
from projections.envelope import Envelope

US = "US"
MAX_ROWS = 100_000


def _reseller(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.resellers (aggregate_id, reseller_id, code, name, country, currency,"
            " parent_id, position, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING"
        ).format(schema),
        (
            e.aggregate_id,
            d["number"],
            d["code"],
            d["name"],
            d["country"],
            d["currency"],
            d.get("parent_number"),
            e.position,
            e.timestamp,
        ),
    )


def _tax_profile(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    # Keyed by the reseller's aggregate id: its Created event may reach this projector later
    # (another tenant's partition), so the number is joined in at query time. A legacy
    # `Reseller.TaxProfileSet` is the reseller's own event; a `TaxProfile.Set` names it.
    d = e.data
    reseller_aggregate_id = (
        reseller_id(d["reseller_number"]) if "reseller_number" in d else e.aggregate_id
    )
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.tax_profiles (reseller_aggregate_id, position, recorded_at,"
            " legal_name, address, country, vat_id, tin, backup_withholding)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            reseller_aggregate_id,
            e.position,
            e.timestamp,
            d["legal_name"],
            d["address"],
            d["country"],
            d.get("vat_id"),
            d.get("tin"),
            bool(d.get("backup_withholding")),
        ),
    )


def _paid(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.payments (payout_id, version, position, recorded_at, reseller_id,"
            " cycle, kind, paid_on, invoice_number, currency, gross, vat_rate, vat, vat_country,"
            " reverse_charge, withheld, credit_offset, paid_currency, amount_paid, fx_rate,"
            " payee) VALUES (%s, %s, %s, %s, %s, %s, 'payment', %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s)"
        ).format(schema),
        (
            e.aggregate_id,
            e.version,
            e.position,
            e.timestamp,
            d["reseller_number"],
            d["cycle"],
            d["paid_on"],
            d["invoice_number"],
            d["gross_commission"]["currency"],
            Decimal(d["gross_commission"]["amount"]),
            Decimal(d["vat_rate"]),
            Decimal(d["vat_amount"]["amount"]),
            d["vat_country"],
            bool(d["reverse_charge"]),
            Decimal(d["withheld"]["amount"]),
            Decimal(d["credit_offset"]["amount"]),
            d["amount_paid"]["currency"],
            Decimal(d["amount_paid"]["amount"]),
            None if d.get("fx_rate") is None else Decimal(d["fx_rate"]),
            json.dumps(d.get("payee") or {}),
        ),
    )


class StatementsProjector(Projector):
    name = "statements"
    tables = (
        ("resellers", "reseller_id"),
        ("tax_profiles", "reseller_aggregate_id, position"),
        ("payments", "payout_id, version"),
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.resellers (aggregate_id uuid PRIMARY KEY,"
        " reseller_id bigint NOT NULL UNIQUE, code text NOT NULL, name text NOT NULL,"
        " country text NOT NULL, currency text NOT NULL, parent_id bigint,"
        " position bigint NOT NULL, recorded_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.tax_profiles (reseller_aggregate_id uuid NOT NULL,"
        " position bigint NOT NULL, recorded_at timestamptz NOT NULL, legal_name text NOT NULL,"
        " address text NOT NULL, country text NOT NULL, vat_id text, tin text,"
        " backup_withholding boolean NOT NULL, PRIMARY KEY (reseller_aggregate_id, position))",
        "CREATE TABLE IF NOT EXISTS {schema}.payments (payout_id uuid NOT NULL,"
        " version bigint NOT NULL, position bigint NOT NULL, recorded_at timestamptz NOT NULL,"
        " reseller_id bigint NOT NULL, cycle text NOT NULL, kind text NOT NULL,"
        " paid_on date NOT NULL, invoice_number text NOT NULL, currency text NOT NULL,"
        " gross numeric NOT NULL, vat_rate numeric NOT NULL, vat numeric NOT NULL,"
        " vat_country text NOT NULL, reverse_charge boolean NOT NULL, withheld numeric NOT NULL,"
        " credit_offset numeric NOT NULL, paid_currency text NOT NULL,"
        " amount_paid numeric NOT NULL, fx_rate numeric, payee jsonb NOT NULL,"
        " PRIMARY KEY (payout_id, version))",
        "CREATE INDEX IF NOT EXISTS payments_paid_on ON {schema}.payments (paid_on)",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Reseller.Created": _reseller,
        "Reseller.TaxProfileSet": _tax_profile,
        "TaxProfile.Set": _tax_profile,
        "Payout.Paid": _paid,
    }


# -- queries --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Which facts a statement uses: recorded by `as_known_at` (None: everything recorded so
    far) with a business date on or before `effective_at` (None: any)."""

    as_known_at: datetime | None = None
    effective_at: date | None = None


@dataclass(frozen=True, slots=True)
class PaymentRow:
    payout_id: str
    reseller_id: int
    cycle: str
    paid_on: date
    invoice_number: str
    gross: Money
    vat_rate: Decimal
    vat: Money
    vat_country: str
    reverse_charge: bool
    withheld: Money
    paid_currency: str
    fx_rate: Decimal | None
    payee: dict[str, Any]
    recorded_at: datetime
    position: int


@dataclass(frozen=True, slots=True)
class NecStatement:
    tax_year: int
    knowledge: Knowledge
    threshold: Money
    forms: tuple[Form1099NEC, ...]
    recipients: dict[int, PartyDetails]
    excluded: tuple[dict[str, Any], ...]
    """US recipients' payments that could not be stated in USD (no USD amount or rate)."""


@dataclass(frozen=True, slots=True)
class VatReport:
    knowledge: Knowledge
    statement: VatStatement
    invoices: tuple[SelfBilledInvoice, ...]


def _plain(rate: Decimal) -> Decimal:
    """A rate without trailing zeros and never in exponent form: 7.50 -> 7.5, 20.0 -> 20."""
    normal = rate.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def _ident(schema: str | None) -> pgsql.Identifier:
    return pgsql.Identifier(schema or StatementsProjector.live_schema())


def payments(
    conn: Connection[Any],
    start: date,
    end: date,
    knowledge: Knowledge,
    reseller_ids: list[int] | None = None,
    schema: str | None = None,
) -> list[PaymentRow]:
    """Payments with a business date in start..end (and on or before `effective_at`), recorded
    by `as_known_at`."""
    last = end if knowledge.effective_at is None else min(end, knowledge.effective_at)
    query = pgsql.SQL("SELECT * FROM {}.payments WHERE paid_on BETWEEN %s AND %s").format(
        _ident(schema)
    )
    params: list[Any] = [start, last]
    if knowledge.as_known_at is not None:
        query += pgsql.SQL(" AND recorded_at <= %s")
        params.append(knowledge.as_known_at)
    if reseller_ids is not None:
        query += pgsql.SQL(" AND reseller_id = ANY(%s)")
        params.append(reseller_ids)
    query += pgsql.SQL(" ORDER BY paid_on, position LIMIT %s")
    params.append(MAX_ROWS)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    return [
        PaymentRow(
            payout_id=str(r["payout_id"]),
            reseller_id=r["reseller_id"],
            cycle=r["cycle"],
            paid_on=r["paid_on"],
            invoice_number=r["invoice_number"],
            gross=Money.of(r["gross"], r["currency"]),
            vat_rate=_plain(r["vat_rate"]),
            vat=Money.of(r["vat"], r["currency"]),
            vat_country=r["vat_country"],
            reverse_charge=r["reverse_charge"],
            withheld=Money.of(r["withheld"], r["currency"]),
            paid_currency=r["paid_currency"],
            fx_rate=r["fx_rate"],
            payee=r["payee"],
            recorded_at=r["recorded_at"],
            position=r["position"],
        )
        for r in rows
    ]


def recipient_details(
    conn: Connection[Any],
    reseller_ids: list[int],
    as_known_at: datetime | None,
    schema: str | None = None,
) -> dict[int, PartyDetails]:
    """Each reseller's tax profile as known at the instant (the latest version recorded by
    then), or what its reseller record says when it had none yet."""
    ident = _ident(schema)
    known = pgsql.SQL("") if as_known_at is None else pgsql.SQL(" AND t.recorded_at <= %s")
    query = pgsql.SQL(
        "SELECT r.reseller_id, r.name, r.country, p.legal_name, p.address, p.country AS"
        " tax_country, p.tin FROM {}.resellers r LEFT JOIN LATERAL (SELECT * FROM"
        " {}.tax_profiles t WHERE t.reseller_aggregate_id = r.aggregate_id{}"
        " ORDER BY t.position DESC LIMIT 1) p ON true WHERE r.reseller_id = ANY(%s)"
    ).format(ident, ident, known)
    params: list[Any] = [] if as_known_at is None else [as_known_at]
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [*params, reseller_ids]).fetchall()
    return {
        r["reseller_id"]: PartyDetails(
            name=r["legal_name"] or r["name"],
            address=r["address"] or "",
            tin=r["tin"],
            country=r["tax_country"] or r["country"],
        )
        for r in rows
    }


def nec_statement(
    conn: Connection[Any],
    tax_year: int,
    knowledge: Knowledge,
    reseller_ids: list[int] | None = None,
    schema: str | None = None,
) -> NecStatement:
    """1099-NEC forms for the tax year: US recipients (by their tax profile as known at the
    instant), cash basis by payment date, gross commission paid (withholding included)."""
    threshold = nec_reporting_threshold(tax_year)
    rows = payments(
        conn, date(tax_year, 1, 1), date(tax_year, 12, 31), knowledge, reseller_ids, schema
    )
    details = recipient_details(
        conn, sorted({r.reseller_id for r in rows}), knowledge.as_known_at, schema
    )
    stated: list[CommissionPayment] = []
    excluded: list[dict[str, Any]] = []
    for row in rows:
        party = details.get(row.reseller_id)
        if party is None or party.country != US:
            continue
        amount = nec_amount_in_usd(row.gross, row.paid_currency, row.fx_rate)
        withheld = nec_amount_in_usd(row.withheld, row.paid_currency, row.fx_rate)
        if amount is None or withheld is None:
            excluded.append(
                {"payout_id": row.payout_id, "recipient": row.reseller_id,
                 "reason": f"paid in {row.paid_currency} for {row.gross.currency}"}
            )  # fmt: skip
            continue
        stated.append(CommissionPayment(row.reseller_id, row.paid_on, amount, withheld))
    forms = forms_1099_nec(tax_year, stated)
    return NecStatement(
        tax_year=tax_year,
        knowledge=knowledge,
        threshold=threshold,
        forms=tuple(forms),
        recipients={f.recipient: details[f.recipient] for f in forms},
        excluded=tuple(excluded),
    )


def vat_report(
    conn: Connection[Any],
    period_start: date,
    period_end: date,
    knowledge: Knowledge,
    reseller_ids: list[int] | None = None,
    schema: str | None = None,
) -> VatReport:
    """Self-billed commission invoices issued in the period and their VAT per the payee's
    country, rate and treatment (reverse charge: VAT self-accounted by the ISP)."""
    rows = payments(conn, period_start, period_end, knowledge, reseller_ids, schema)
    invoices = tuple(
        SelfBilledInvoice(
            invoice_id=row.invoice_number,
            recipient=row.reseller_id,
            issued_on=row.paid_on,
            country=str(row.payee.get("country") or row.vat_country),
            net=row.gross,
            vat_rate=row.vat_rate,
            vat=row.vat,
            reverse_charge=row.reverse_charge,
        )
        for row in rows
    )
    return VatReport(knowledge, vat_statement(period_start, period_end, invoices), invoices)
