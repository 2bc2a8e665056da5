"""The `ledger` command against a real database: admin tasks, replay and diff."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg

from tests.support.privacy import PRIVACY_ENV
from tests.support.services import throwaway_database

REPO = Path(__file__).resolve().parents[2]


def ledger(url, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {"LEDGER_DATABASE_URL": url, "LEDGER_LOG_LEVEL": "WARNING", **PRIVACY_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_admin_replay_and_diff():
    with throwaway_database("ledger_cli") as url:
        assert ledger(url, "migrate").stdout.strip() == "ok"
        created = ledger(
            url,
            "admin",
            "create-reseller",
            "--code",
            "cli_isp",
            "--name",
            "CLI ISP",
            "--country",
            "GB",
            "--currency",
            "GBP",
            "--credit-limit",
            "250.00",
        )
        reseller = json.loads(created.stdout)
        assert (reseller["reseller_id"], reseller["reseller_code"]) == (1, "CLI_ISP")
        duplicate = ledger(
            url,
            "admin",
            "create-reseller",
            "--code",
            "CLI_ISP",
            "--name",
            "x",
            "--country",
            "GB",
            "--currency",
            "GBP",
            check=False,
        )
        assert duplicate.returncode == 2 and "taken" in duplicate.stderr
        token = ledger(
            url, "admin", "issue-token", "--role", "admin", "--reseller-id", "1", "--label", "ops"
        ).stdout.strip()
        assert token.startswith("rl_") and len(token) > 40
        with psycopg.connect(url) as conn:
            stored = conn.execute(
                "SELECT string_agg(encode(state, 'escape'), '') FROM ledger_events"
            )
            assert token not in stored.fetchone()[0]

        replay = ledger(url, "replay", "credit_accounts")
        assert "swapped in" in replay.stdout
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT credit_limit, balance FROM proj_credit_accounts.credit_accounts"
            ).fetchone()
        assert row == (Decimal("250.00"), 0)
        assert ledger(url, "diff", "credit_accounts").returncode == 0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE proj_credit_accounts.credit_accounts SET balance = 1")
        drifted = ledger(url, "diff", "credit_accounts", check=False)
        assert drifted.returncode == 1
        assert "1 only live, 1 only rebuilt" in drifted.stdout
        ledger(url, "replay", "credit_accounts")
        assert ledger(url, "diff", "credit_accounts").returncode == 0
