"""The event store: an eventsourcing Application over PostgreSQL, and nothing more.

It pins the application name (which names the tables), registers transcodings for the value
types our events carry (their names are stored in the data: never rename them) and turns a
PostgreSQL URL into the library's settings. Use cases live in `commands/`, not here.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding
from psycopg.conninfo import conninfo_to_dict

from domain.catalogue import Counter
from domain.credit_account import CreditAccount
from domain.customer_account import CustomerAccount
from domain.fx import FxRateBook
from domain.journal import Posting, Side
from domain.money import Money
from domain.payouts import PayoutAccount
from domain.reseller import Reseller, ResellerRegistry
from domain.users import ResellerUser

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

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(MoneyAsDict())
        transcoder.register(PostingAsDict())


def store_env(database_url: str, pool_size: int = 10, lock_timeout_s: int = 5) -> dict[str, str]:
    """The eventsourcing library's settings for a PostgreSQL URL."""
    params = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_LOCK_TIMEOUT": str(lock_timeout_s),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "CREATE_TABLE": "y",
    }


SCHEMA_LOCK_KEY = 0x1ED6E4_0000


def open_store(database_url: str, **options: Any) -> LedgerStore:
    """Open the store; creating its tables is serialised across processes, since PostgreSQL's
    CREATE OR REPLACE FUNCTION fails when several processes run it at once."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            return LedgerStore(env=store_env(database_url, **options))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
