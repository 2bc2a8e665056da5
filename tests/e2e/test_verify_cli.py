"""`ledger chain`, `ledger checkpoint-key` and `ledger verify` against a real database."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.support.services import throwaway_database

REPO = Path(__file__).resolve().parents[2]


def ledger(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {
        "LEDGER_DATABASE_URL": url,
        "LEDGER_DATA_DIR": str(data_dir),
        "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_DB_POOL_SIZE": "2",
    }
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_verify_through_the_cli(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with throwaway_database("ledger_verify_cli") as url:
        created = ledger(
            url, data_dir, "admin", "create-reseller", "--code", "VERIFY", "--name", "Verify",
            "--country", "GB", "--currency", "GBP",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        chained = ledger(url, data_dir, "chain", "--checkpoint")
        assert chained.returncode == 0, chained.stderr
        assert chained.stdout.startswith("chained ")
        assert list((data_dir / "checkpoints").glob("*/checkpoints-*.jsonl"))

        key = ledger(url, data_dir, "checkpoint-key")
        assert "BEGIN PUBLIC KEY" in key.stdout
        public_key = tmp_path / "auditor.pem"
        public_key.write_text(key.stdout.split("\n", 1)[1])

        untouched = ledger(url, data_dir, "verify", "--public-key", str(public_key))
        assert untouched.returncode == 0, untouched.stdout + untouched.stderr
        assert untouched.stdout.startswith("ok: ")

        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT c.position, c.notification_id FROM integrity.chain c "
                "ORDER BY c.position OFFSET 1 LIMIT 1"
            ).fetchone()
            assert row is not None
            position, nid = row
            conn.execute(
                "UPDATE ledger_events SET state = overlay(state placing '\\x7e'::bytea "
                "from 3 for 1) WHERE notification_id = %s",
                (nid,),
            )
        tampered = ledger(url, data_dir, "verify")
        assert tampered.returncode == 1, tampered.stdout
        assert f"first bad position {position} (notification id {nid})" in tampered.stdout
        assert "event_changed" in tampered.stdout
