"""The event store: an eventsourcing Application over PostgreSQL, and nothing more.

It pins the application name (which names the tables), registers transcodings for the value
types our events carry (their names are stored in the data: never rename them) and turns a
PostgreSQL URL into the library's settings. Use cases live in `commands/`, not here.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding
from psycopg.conninfo import conninfo_to_dict

from domain.journal import Posting, Side
from domain.money import Money
from domain.reseller import Reseller, ResellerRegistry

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
    # Resellers take one event per customer (the Portal ID counter): snapshots keep loads short.
    snapshotting_intervals = {Reseller: 50, ResellerRegistry: 50}

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


def open_store(database_url: str, **options: Any) -> LedgerStore:
    return LedgerStore(env=store_env(database_url, **options))
