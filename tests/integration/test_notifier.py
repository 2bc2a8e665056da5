"""Must-show 2 (issue 16): a credit warning reaches the reseller admin's in-app centre and
mailbox once, even with the notifier process killed and restarted midway. The SMTP server is
aiosmtpd on a loopback port; the notifier is `ledger notify` in a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller

from commands.access.auth import AuthConfig, AuthServices
from commands.access.users import CreateUser, create_user
from commands.credit.credit_account import RecordCharge, record_charge
from tests.support.builders import context, new_reseller
from tests.support.privacy import PRIVACY_ENV
from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def wait_for(predicate: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def outbox(url: str, reseller: int) -> list[tuple[str, str, int]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT message_id, status, attempts FROM ledger_notification_state.outbox"
            " WHERE reseller = %s AND kind = 'credit_warning' AND channel = 'email'",
            (reseller,),
        ).fetchall()
    return [(str(m), str(s), int(a)) for m, s, a in rows]


def test_credit_warning_reaches_centre_and_mailbox_once_across_a_killed_notifier(
    store, database_url, store_feed, tmp_path
):
    tenant = new_reseller(store)
    create_user(  # only the master ISP adds a reseller's admin
        store,
        AuthServices(config=AuthConfig(), sessions=None, throttle=None, box=None),  # type: ignore[arg-type]
        context(),
        CreateUser(
            username=f"boss{tenant.number}",
            email=f"boss{tenant.number}@example.com",
            role="admin",
            reseller_id=tenant.number,
        ),
    )
    time.sleep(0.5)  # the users projection holds the admin before the warning is queued
    smtp_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env |= {
        "LEDGER_DATABASE_URL": database_url,
        **PRIVACY_ENV,
        "LEDGER_SECRET_KEY": "x" * 32,
        "LEDGER_LOG_LEVEL": "INFO",
        "LEDGER_SMTP_HOST": "127.0.0.1",
        "LEDGER_SMTP_PORT": str(smtp_port),
        "LEDGER_SMTP_TLS": "none",
        "LEDGER_NOTIFY_POLL_S": "0.05",
        "LEDGER_NOTIFY_BASE_BACKOFF_S": "0.2",
        "LEDGER_NOTIFY_MAX_BACKOFF_S": "0.5",
    }

    def start(n: int) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"notifier-{n}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "notify"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    first = start(1)
    second = None
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    try:
        record_charge(
            store,
            context(),
            tenant.number,
            RecordCharge(amount="850.00", currency="USD", description="wholesale"),
        )
        # The mail server is down: the notifier retries (attempts grow, status pending) ...
        wait_for(lambda: any(a >= 2 for _, _, a in outbox(database_url, tenant.number)), 60)
        (row,) = outbox(database_url, tenant.number)
        assert row[1] == "pending", row
        # ... and is killed midway, without a chance to clean up.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        controller.start()
        second = start(2)
        wait_for(lambda: bool(mailbox.messages), 60)
        time.sleep(1.0)  # anything sent twice would have arrived by now
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        controller.stop()
    mine = [m for m in mailbox.messages if m["To"] == f"boss{tenant.number}@example.com"]
    assert len(mine) == 1, [m["Message-ID"] for m in mailbox.messages]
    assert "Credit utilization reached 80%" in mine[0]["Subject"]
    (message_id, status, attempts) = outbox(database_url, tenant.number)[0]
    assert status == "sent" and attempts >= 3
    assert mine[0]["Message-ID"] == f"<{message_id}@ledger>"
    with psycopg.connect(database_url, autocommit=True) as conn:
        centre = conn.execute(
            "SELECT count(*) FROM proj_notifications.notifications"
            " WHERE reseller = %s AND kind = 'credit_warning'",
            (tenant.number,),
        ).fetchone()
    assert centre is not None and centre[0] == 1
