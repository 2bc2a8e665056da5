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
        assert "0 only live, 0 only rebuilt, 1 differ" in drifted.stdout
        assert "differs: reseller_id=1: balance: live 1 != rebuilt 0" in drifted.stdout
        assert "events/s" in drifted.stderr  # the rebuild's progress line
        ledger(url, "replay", "credit_accounts")
        assert ledger(url, "diff", "credit_accounts").returncode == 0


def test_replay_as_of_into_an_auditor_schema():
    with throwaway_database("ledger_cli") as url:
        ledger(url, "admin", "create-reseller", "--code", "ASOF", "--name", "As of",
               "--country", "GB", "--currency", "GBP", "--credit-limit", "100.00")  # fmt: skip
        with psycopg.connect(url) as conn:
            instant = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        ledger(url, "admin", "create-reseller", "--code", "LATER", "--name", "Later",
               "--country", "GB", "--currency", "GBP", "--credit-limit", "300.00")  # fmt: skip

        as_of = ledger(
            url, "replay", "credit_accounts", "--as-of", instant.isoformat(), "--schema", "audit_q4"
        )
        assert "-> schema audit_q4 (as of" in as_of.stdout and "events/s" in as_of.stdout
        assert "100%" in as_of.stderr
        named = ledger(url, "replay", "credit_accounts", "--schema", "audit_now")
        assert "-> schema audit_now" in named.stdout
        with psycopg.connect(url) as conn:
            then = conn.execute("SELECT credit_limit FROM audit_q4.credit_accounts").fetchall()
            current = conn.execute("SELECT count(*) FROM audit_now.credit_accounts").fetchone()
            live = conn.execute("SELECT count(*) FROM proj_credit_accounts.credit_accounts")
            # Nothing runs the live projectors here: the named replays leave live untouched.
            assert (then, current, live.fetchone()) == ([(Decimal("100.00"),)], (2,), (0,))

        for clash in ("proj_credit_accounts", "public", "auth"):
            refused = ledger(url, "replay", "credit_accounts", "--schema", clash, check=False)
            assert refused.returncode == 2 and "refused" in refused.stderr, clash
        naive = ledger(url, "replay", "journal", "--as-of", "2026-01-01T00:00:00", check=False)
        assert naive.returncode == 2 and "offset" in naive.stderr
