"""The notifier: sends what the notification projection queued (e-mail over SMTP, SMS through
an HTTP gateway) and logs each message's fate.

Each outbox row is one message whose id is stable (notification, recipient, channel): the
row is claimed with SKIP LOCKED, sent, and marked sent in the same transaction, so a notifier
killed midway leaves it pending and its successor sends it again under the same Message-ID
(at most the one in flight when the process died; the receiver can drop it by id). A failed
send is retried after a bounded, growing pause; after `max_attempts` the row is `failed`
(an SMTP 5xx refusal: `bounced`). Commands never wait for any of it."""

from __future__ import annotations

import json
import random
import smtplib
import ssl
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import psycopg
import structlog
from psycopg import Connection

log = structlog.get_logger(__name__)

TlsMode = Literal["none", "starttls", "ssl"]


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: TlsMode = "none"
    user: str | None = None
    password: str | None = None
    sender: str = "ledger@localhost"
    timeout_s: float = 10.0


@dataclass(frozen=True)
class SmsConfig:
    url: str
    sender_id: str = "LEDGER"
    timeout_s: float = 10.0


class Bounced(Exception):
    """The receiving side refused the message for good (SMTP 5xx, HTTP 4xx)."""


def send_email(config: SmtpConfig, message_id: str, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}@ledger>"
    message.set_content(body)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.tls == "ssl":
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
    with smtp:
        if config.tls == "starttls":
            smtp.starttls(context=context)
        if config.user:
            smtp.login(config.user, config.password or "")
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise Bounced(str(error)) from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise Bounced(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise


def send_sms(config: SmsConfig, message_id: str, to: str, text: str, sender_id: str) -> None:
    payload = json.dumps(
        {"message_id": message_id, "to": to, "from": sender_id, "text": text[:480]}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the gateway URL is the operator's setting
        config.url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_s) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500:
            raise Bounced(f"HTTP {error.code}") from error
        raise


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    return float(min(max_s, base_s * 2 ** max(attempts - 1, 0)) * random.uniform(0.5, 1.0))  # noqa: S311


@dataclass(frozen=True)
class NotifierConfig:
    smtp: SmtpConfig | None
    sms: SmsConfig | None
    poll_s: float = 0.5
    max_attempts: int = 8
    base_backoff_s: float = 1.0
    max_backoff_s: float = 300.0


_CLAIM = (
    "SELECT o.message_id, o.channel, o.title, o.body, o.attempts, o.reseller, u.email"
    " FROM ledger_notification_state.outbox o"
    " LEFT JOIN proj_users.users u ON u.user_id = o.recipient_user"
    " WHERE o.status = 'pending' AND o.next_attempt_at <= now()"
    " ORDER BY o.position, o.message_id LIMIT 1 FOR UPDATE OF o SKIP LOCKED"
)


def _finish(conn: Connection[Any], message_id: str, status: str, error: str | None) -> None:
    conn.execute(
        "UPDATE ledger_notification_state.outbox SET status = %s, attempts = attempts + 1,"
        " last_error = %s, sent_at = CASE WHEN %s = 'sent' THEN now() END"
        " WHERE message_id = %s",
        (status, error, status, message_id),
    )


def deliver_one(conn: Connection[Any], config: NotifierConfig) -> bool:
    """Send the next due message; False when none is due."""
    with conn.transaction():
        row = conn.execute(_CLAIM).fetchone()
        if row is None:
            return False
        message_id, channel, title, body, attempts, reseller, email = row
        try:
            if channel == "email":
                if config.smtp is None or not email:
                    raise Bounced("no SMTP server configured or no address")
                send_email(config.smtp, message_id, email, title, body)
            else:
                # No phone numbers on users yet: SMS waits for a gateway and a number.
                raise Bounced("no SMS number for the recipient")
        except Bounced as error:
            _finish(conn, message_id, "bounced", str(error)[:500])
            log.warning("notifier.bounced", message_id=message_id, error=str(error)[:200])
            return True
        except (OSError, smtplib.SMTPException) as error:
            tries = attempts + 1
            if tries >= config.max_attempts:
                _finish(conn, message_id, "failed", repr(error)[:500])
                log.error("notifier.failed", message_id=message_id, error=repr(error)[:200])
                return True
            pause = backoff_s(tries, config.base_backoff_s, config.max_backoff_s)
            conn.execute(
                "UPDATE ledger_notification_state.outbox SET attempts = %s, last_error = %s,"
                " next_attempt_at = now() + make_interval(secs => %s) WHERE message_id = %s",
                (tries, repr(error)[:500], pause, message_id),
            )
            log.info("notifier.retry", message_id=message_id, attempt=tries, pause_s=pause)
            return True
        _finish(conn, message_id, "sent", None)
        log.info("notifier.sent", message_id=message_id, channel=channel, reseller=reseller)
        return True


def run_notifier(
    connect: Callable[[], Connection[Any]], config: NotifierConfig, stopping: threading.Event
) -> None:
    while not stopping.is_set():
        try:
            with connect() as conn:
                while not stopping.is_set():
                    if not deliver_one(conn, config):
                        stopping.wait(config.poll_s)
        except psycopg.Error as error:
            log.warning("notifier.database_unavailable", error=repr(error)[:200])
            stopping.wait(min(config.max_backoff_s, 5.0))


def notifier_config(settings: Any) -> NotifierConfig:
    smtp = None
    if settings.smtp_host:
        smtp = SmtpConfig(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_tls,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_from,
        )
    sms = None
    if settings.sms_gateway_url:
        sms = SmsConfig(settings.sms_gateway_url, settings.sms_sender_id)
    return NotifierConfig(
        smtp,
        sms,
        settings.notify_poll_s,
        settings.notify_max_attempts,
        settings.notify_base_backoff_s,
        settings.notify_max_backoff_s,
    )
