"""The `bi` schema: documented views over the read models, the public contract for BI tools.

Each view casts every column explicitly, so its names and types stay put whatever the
projection tables do underneath; `docs/bi.md` documents each one (a test compares the two).
No view exposes personal data (names, e-mail, phone, address): BI works on ids and money.

Views run with their owner's rights, so a role granted SELECT on them (and USAGE on `bi`)
reads them without any right on the projection schemas or the event store.

Adding a view is one entry in `VIEWS` (plus its section in docs/bi.md).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import Connection
from psycopg import sql as pgsql

from projections.commissions.records import paid_rate_sql
from projections.locks import BI_LOCK_KEY

SCHEMA = "bi"

VIEWS: dict[str, str] = {
    "customers": """
        SELECT customer_id::uuid AS customer_id, reseller_id::bigint AS reseller_id,
            tenant::bigint AS root_reseller_id, portal_id::text AS portal_id,
            customer_type::text AS customer_type, status::text AS status,
            created_at::timestamptz AS created_at, updated_at::timestamptz AS updated_at
        FROM proj_customers.customers""",
    "services": """
        SELECT service_id::uuid AS service_id, customer_id::uuid AS customer_id,
            reseller_id::bigint AS reseller_id, tariff_id::bigint AS tariff_id,
            service_type::text AS service_type, status::text AS status,
            updated_at::timestamptz AS updated_at
        FROM proj_billing.services""",
    "invoices": """
        SELECT invoice_id::text AS invoice_id, number::text AS invoice_number,
            customer_id::uuid AS customer_id, reseller_id::bigint AS reseller_id,
            issued_on::date AS issued_on, period_start::date AS period_start,
            period_end::date AS period_end, currency::text AS currency, net::numeric AS net,
            tax::numeric AS tax, total::numeric AS total, paid::numeric AS paid,
            credited::numeric AS credited, outstanding::numeric AS outstanding,
            (CASE WHEN outstanding > 0 THEN 'open' ELSE 'settled' END)::text AS status,
            position::bigint AS ledger_position
        FROM proj_billing.invoices""",
    "payments": """
        SELECT p.payment_id::text AS payment_id, a.customer_id::uuid AS customer_id,
            p.reseller_id::bigint AS reseller_id, p.amount::numeric AS amount,
            p.currency::text AS currency, p.method::text AS method,
            p.reference::text AS reference, p.effective_date::date AS effective_date,
            p.to_credit::numeric AS to_credit, p.handling::text AS handling,
            p.recorded_at::timestamptz AS recorded_at
        FROM proj_billing.payments p JOIN proj_billing.accounts a USING (account_id)""",
    "commissions": """
        SELECT c.commission_id::uuid AS commission_id, c.reseller_id::bigint AS reseller_id,
            c.customer_id::uuid AS customer_id, c.commission_type::text AS commission_type,
            c.base_amount::numeric AS base_amount, {paid_rate}::numeric AS commission_rate,
            c.commission_amount::numeric AS commission_amount, c.currency::text AS currency,
            c.period_start::date AS period_start, c.period_end::date AS period_end,
            c.status::text AS status, c.hold_until::date AS hold_until,
            c.source::text AS source, c.adjusts::uuid AS adjusts,
            c.recorded_at::timestamptz AS recorded_at
        FROM proj_commissions.commissions c""",
    "journal_lines": """
        SELECT aggregate_id::uuid AS entry_aggregate_id, version::bigint AS entry_version,
            line_no::integer AS line_no, position::bigint AS ledger_position,
            tenant::bigint AS root_reseller_id, reseller_id::bigint AS reseller_id,
            event_type::text AS event_type, account::text AS account, side::text AS side,
            amount::numeric AS amount,
            (CASE side WHEN 'debit' THEN amount ELSE -amount END)::numeric AS signed_amount,
            currency::text AS currency, effective_date::date AS effective_date,
            recorded_at::timestamptz AS recorded_at
        FROM proj_journal.journal_lines""",
    "trial_balance": """
        SELECT account::text AS account, currency::text AS currency,
            coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0)::numeric AS debit_total,
            coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0)::numeric AS credit_total,
            sum(CASE side WHEN 'debit' THEN amount ELSE -amount END)::numeric AS balance
        FROM proj_journal.journal_lines GROUP BY account, currency""",
    "disputes": """
        SELECT dispute_id::uuid AS dispute_id, reseller_id::bigint AS reseller_id,
            status::text AS status, currency::text AS currency,
            claimed_amount::numeric AS claimed_amount, submitted_on::date AS submitted_on,
            review_due_on::date AS review_due_on, complex::boolean AS complex,
            escalated::boolean AS escalated, decision::text AS decision,
            resolved_on::date AS resolved_on, adjustment_amount::numeric AS adjustment_amount,
            interest_amount::numeric AS interest_amount,
            submitted_at::timestamptz AS submitted_at, updated_at::timestamptz AS updated_at
        FROM proj_disputes.disputes""",
    "payouts": """
        SELECT payout_id::uuid AS payout_id, reseller_id::bigint AS reseller_id,
            cycle::text AS cycle, status::text AS status, period_start::date AS period_start,
            period_end::date AS period_end, pay_on::date AS pay_on, currency::text AS currency,
            total::numeric AS statement_total, gross_commission::numeric AS gross_commission,
            vat_rate::numeric AS vat_rate, vat_amount::numeric AS vat_amount,
            vat_country::text AS vat_country, reverse_charge::boolean AS reverse_charge,
            invoice_number::text AS invoice_number, withheld::numeric AS withheld,
            credit_offset::numeric AS credit_offset, fx_rate::numeric AS fx_rate,
            payment_currency::text AS payment_currency, amount_paid::numeric AS amount_paid,
            carried_forward::numeric AS carried_forward, paid_at::timestamptz AS paid_at
        FROM proj_payouts.payouts""",
    "credit_accounts": """
        SELECT reseller_id::bigint AS reseller_id, tenant::bigint AS root_reseller_id,
            currency::text AS currency, credit_limit::numeric AS credit_limit,
            balance::numeric AS balance, (credit_limit - balance)::numeric AS available,
            (CASE WHEN credit_limit = 0 THEN NULL
                ELSE round(balance / credit_limit, 4) END)::numeric AS utilization,
            charged_total::numeric AS charged_total, paid_total::numeric AS paid_total,
            updated_at::timestamptz AS updated_at
        FROM proj_credit_accounts.credit_accounts""",
    "tickets": """
        SELECT ticket_id::uuid AS ticket_id, number::text AS ticket_number,
            reseller_id::bigint AS reseller_id, tenant::bigint AS root_reseller_id,
            source::text AS source, customer_id::uuid AS customer_id,
            category::text AS category, priority::text AS priority, status::text AS status,
            level::text AS escalation_level, opened_at::timestamptz AS opened_at,
            first_response_at::timestamptz AS first_response_at,
            resolved_at::timestamptz AS resolved_at, closed_at::timestamptz AS closed_at,
            satisfaction::integer AS satisfaction,
            first_response_breached::boolean AS first_response_breached,
            resolution_breached::boolean AS resolution_breached
        FROM proj_support.tickets""",
}


def view_query(name: str) -> str:
    """A view's SELECT, with the commissions' paid-rate expression (a constant of
    `projections.commissions.records`) put in."""
    return VIEWS[name].replace("{paid_rate}", paid_rate_sql("proj_commissions"))


def _replace_views(conn: Connection[Any]) -> None:
    for name in VIEWS:
        query = view_query(name)
        view = pgsql.Identifier(SCHEMA, name)
        try:
            with conn.transaction():
                conn.execute(
                    pgsql.SQL("CREATE OR REPLACE VIEW {} AS {}").format(view, pgsql.SQL(query))
                )
        except psycopg.errors.InvalidTableDefinition:
            # The contract changed (a column renamed, retyped or dropped): replace the view.
            conn.execute(pgsql.SQL("DROP VIEW {}").format(view))
            conn.execute(pgsql.SQL("CREATE VIEW {} AS {}").format(view, pgsql.SQL(query)))


def install_views(conn: Connection[Any], reader_role: str | None) -> None:
    """Create or update the `bi` schema and its views (after the projection tables exist) and
    let `reader_role` (if given) read them, and nothing else."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (BI_LOCK_KEY,))
        conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(SCHEMA)))
        conn.execute(
            pgsql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(pgsql.Identifier(SCHEMA))
        )
        _replace_views(conn)
        if reader_role is not None:
            role = pgsql.Identifier(reader_role)
            conn.execute(
                pgsql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(pgsql.Identifier(SCHEMA), role)
            )
            for name in VIEWS:
                conn.execute(
                    pgsql.SQL("GRANT SELECT ON {} TO {}").format(
                        pgsql.Identifier(SCHEMA, name), role
                    )
                )


def refresh_views(conn: Connection[Any]) -> None:
    """Re-point the views at the live tables, keeping their grants: for a projection swap,
    inside its transaction and before the retired schema is dropped (which would otherwise
    drop the views with it)."""
    exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
    if exists is None:
        return
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (BI_LOCK_KEY,))
    _replace_views(conn)
