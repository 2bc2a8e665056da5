"""`ledger` subprocesses for the e2e tests (killed, restarted, checked alive), and a database
outage confined to one throwaway database (the shared PostgreSQL server keeps running)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

from tests.support.services import ADMIN_URL

REPO = Path(__file__).resolve().parents[2]


class Process:
    """One `ledger` subprocess that can be killed and started again."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.args = args
        self.env = env
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{'-'.join(self.args[:1])}-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", *self.args],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc = None

    def assert_alive(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, (
            f"{self.args} exited with {self.proc and self.proc.returncode}; logs in {self.log_dir}"
        )


def terminate_connections(url: str) -> int:
    """End every session on the database of `url`; returns how many."""
    dbname = str(conninfo_to_dict(url)["dbname"])
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchall()
    return len(rows)


@contextmanager
def database_down(url: str) -> Iterator[None]:
    """The database of `url` refuses every connection and loses every session until the block
    ends, as if its server were restarting (only this database; others are untouched)."""
    ident = pgsql.Identifier(str(conninfo_to_dict(url)["dbname"]))
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(pgsql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
    stop = threading.Event()

    def keep_terminating() -> None:
        while not stop.is_set():
            terminate_connections(url)
            stop.wait(0.2)

    thread = threading.Thread(target=keep_terminating, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(pgsql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident))


def wait_alive(processes: list[Process], seconds: float) -> None:
    """Sleep `seconds`, checking every process stays up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            process.assert_alive()
        time.sleep(0.25)
