"""`ledger migrate` sets up the `bi` schema and the BI login from LEDGER_BI_* settings, and the
ISP issues a finance auditor's token from the command line."""

import os
import secrets
import subprocess
import sys
import uuid

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.e2e.test_cli import REPO
from tests.support.services import throwaway_database


def ledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_migrate_creates_the_bi_login_and_views():
    login = f"ledger_bi_cli_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(16)
    with throwaway_database("ledger_bi_cli") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
        env |= {
            "LEDGER_DATABASE_URL": url,
            "LEDGER_LOG_LEVEL": "WARNING",
            "LEDGER_BI_LOGIN": login,
            "LEDGER_BI_PASSWORD": password,
        }
        try:
            assert ledger(env, "migrate").stdout.strip() == "ok"
            token = ledger(
                env, "admin", "issue-token", "--role", "finance_auditor", "--label", "audit"
            ).stdout.strip()
            assert token.startswith("rl_")
            params = conninfo_to_dict(url)
            params.update(user=login, password=password)
            with psycopg.connect(make_conninfo(**params)) as conn:
                rows = conn.execute("SELECT count(*) FROM bi.customers").fetchone()
                assert rows == (0,)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(pgsql.SQL("DROP ROLE IF EXISTS {}").format(pgsql.Identifier(login)))
