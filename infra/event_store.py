"""The event store: an eventsourcing Application over PostgreSQL, and nothing more.

It pins the application name (which names the tables), registers transcodings for the value
types our events carry (their names are stored in the data: never rename them) and turns a
PostgreSQL URL into the library's settings. Use cases live in `commands/`, not here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoder, Transcoding
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

from domain.access.users import ResellerUser
from domain.billing.customer_account import CustomerAccount
from domain.catalogue.tariffs import Counter
from domain.commissions.payment_commissions import CommissionSettings
from domain.commissions.payouts import PayoutAccount
from domain.credit.credit_account import CreditAccount
from domain.ledger.fx import FxRateBook
from domain.ledger.journal import Posting, Side
from domain.ledger.money import Money
from domain.ledger.topics import register_moved_topics
from domain.partners.reseller import Reseller, ResellerRegistry
from infra.privacy import (
    PersonalDataKeyring,
    PersonalTextEncrypted,
    PersonalTextSealed,
    SubjectKeyring,
)
from projections.locks import SCHEMA_LOCK_KEY

APPLICATION_NAME = "ledger"
EVENTS_TABLE = f"{APPLICATION_NAME}_events"


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, str]:
        return {"amount": str(obj.amount), "currency": obj.currency}

    def decode(self, data: dict[str, str]) -> Money:
        return Money.of(data["amount"], data["currency"])


class PostingAsDict(Transcoding):
    type = Posting
    name = "posting"

    def encode(self, obj: Posting) -> dict[str, str]:
        return {
            "account": obj.account,
            "side": obj.side.value,
            "amount": str(obj.money.amount),
            "currency": obj.money.currency,
        }

    def decode(self, data: dict[str, str]) -> Posting:
        return Posting(
            data["account"], Side(data["side"]), Money.of(data["amount"], data["currency"])
        )


class LedgerStore(Application[UUID]):
    name = APPLICATION_NAME
    # Long-lived aggregates (a reseller takes an event per customer, accounts one per charge or
    # payment, users one per login): snapshots keep every load short.
    snapshotting_intervals = {
        Reseller: 50,
        ResellerRegistry: 50,
        CreditAccount: 50,
        CustomerAccount: 50,
        ResellerUser: 50,
        Counter: 50,
        FxRateBook: 50,
        PayoutAccount: 50,
    }

    def __init__(
        self,
        env: dict[str, str],
        personal_data: PersonalDataKeyring,
        commission_settings: CommissionSettings | None = None,
    ) -> None:
        # The commands read it (`commands.commissions.accrual.commission_settings`).
        self.commission_settings = commission_settings or CommissionSettings()
        # Needed while the base class builds the mapper (register_transcodings).
        self.personal_data = personal_data
        # Before anything is read: events stored before the contexts' layout name old modules.
        register_moved_topics()
        super().__init__(env=env)
        self.envelope_transcoder: Transcoder = self._envelope_transcoder()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(MoneyAsDict())
        transcoder.register(PostingAsDict())
        transcoder.register(PersonalTextEncrypted(self.personal_data))

    def _envelope_transcoder(self) -> Transcoder:
        """Decodes stored events for the event path: personal data stays sealed."""
        transcoder = JSONTranscoder()
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(MoneyAsDict())
        transcoder.register(PostingAsDict())
        transcoder.register(PersonalTextSealed())
        return transcoder

    def close(self) -> None:
        super().close()
        self.personal_data.close()


def store_env(
    database_url: str,
    pool_size: int = 10,
    lock_timeout_s: int = 5,
    max_overflow: int | None = None,
) -> dict[str, str]:
    """The eventsourcing library's settings for a PostgreSQL URL: `pool_size` connections are
    opened at once, up to `max_overflow` (default: as many again) more under load."""
    params = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size if max_overflow is None else max_overflow),
        "POSTGRES_LOCK_TIMEOUT": str(lock_timeout_s),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        # A connection broken by a database restart is replaced, not handed out.
        "POSTGRES_PRE_PING": "y",
        "CREATE_TABLE": "y",
    }


def open_store(
    database_url: str,
    *,
    personal_data_key: bytes | None,
    keyring_pool_size: int = 4,
    commission_settings: CommissionSettings | None = None,
    **options: Any,
) -> LedgerStore:
    """Open the store; creating its tables is serialised across processes, since PostgreSQL's
    CREATE OR REPLACE FUNCTION fails when several processes run it at once.
    `personal_data_key` is the master key that wraps every subject's data key."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            keyring = SubjectKeyring(database_url, personal_data_key, keyring_pool_size)
            store = LedgerStore(
                env=store_env(database_url, **options),
                personal_data=keyring,
                commission_settings=commission_settings,
            )
            ensure_recorded_at(conn, store)
            return store
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


RECORDED_AT_COLUMN = "recorded_at"
BACKFILL_BATCH = 1000


def ensure_recorded_at(conn: psycopg.Connection[Any], store: LedgerStore) -> None:
    """Give the events table a `recorded_at` column: the database's clock_timestamp() when the
    row was inserted. Saves insert while holding the table's exclusive lock, so recorded_at
    follows the log's order; that makes "as known at instant T" a prefix of the log
    (`replays.as_of`). Rows stored before the column existed take their event's own timestamp.
    """
    schema = store.recorder.datastore.schema  # type: ignore[attr-defined]
    table = store.recorder.events_table_name  # type: ignore[attr-defined]
    present = conn.execute(
        "SELECT 1 FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s AND column_name = %s",
        (schema, table, RECORDED_AT_COLUMN),
    ).fetchone()
    if present:
        return
    ident = pgsql.Identifier(schema, table)
    column = pgsql.Identifier(RECORDED_AT_COLUMN)
    with conn.transaction():
        conn.execute(pgsql.SQL("ALTER TABLE {} ADD COLUMN {} timestamptz").format(ident, column))
        conn.execute(
            pgsql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT clock_timestamp()").format(
                ident, column
            )
        )
    _backfill_recorded_at(conn, store, ident, column)
    conn.execute(pgsql.SQL("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL").format(ident, column))


def _backfill_recorded_at(
    conn: psycopg.Connection[Any],
    store: LedgerStore,
    ident: pgsql.Identifier,
    column: pgsql.Identifier,
) -> None:
    transcoder = store.mapper.transcoder
    after = 0
    while True:
        rows = conn.execute(
            pgsql.SQL(
                "SELECT notification_id, state FROM {} WHERE {} IS NULL AND notification_id > %s"
                " ORDER BY notification_id LIMIT %s"
            ).format(ident, column),
            (after, BACKFILL_BATCH),
        ).fetchall()
        if not rows:
            return
        updates = []
        for notification_id, state in rows:
            timestamp = transcoder.decode(bytes(state)).get("timestamp")
            updates.append(
                (timestamp if isinstance(timestamp, datetime) else None, notification_id)
            )
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                pgsql.SQL(
                    "UPDATE {} SET {} = coalesce(%s, clock_timestamp()) WHERE notification_id = %s"
                ).format(ident, column),
                updates,
            )
        after = rows[-1][0]
