"""One webhook delivery: resolve the target, refuse what the SSRF rules refuse, POST the public
payload with Standard Webhooks headers, and report the response code.

The connection goes to the address that was checked (not a second lookup of the name), so a
name that resolves differently between the check and the call cannot reach a private address."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from domain.ledger.errors import DomainError
from domain.webhooks.signing import headers
from domain.webhooks.targets import check_url, refused_addresses


class TargetRefused(Exception):
    pass


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate verified for the URL's host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


@dataclass(frozen=True)
class DeliveryResult:
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def resolve_target(url: str, allow_private: bool) -> tuple[str, int]:
    try:
        host, port = check_url(url)
    except DomainError as error:
        raise TargetRefused(str(error)) from error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise TargetRefused(f"{host} does not resolve") from error
    addresses = sorted({str(info[4][0]) for info in infos})
    reason = refused_addresses(addresses, allow_private)
    if reason is not None:
        raise TargetRefused(reason)
    return addresses[0], port


def deliver(
    url: str,
    secrets_in_force: list[str],
    message_id: str,
    payload: dict[str, Any],
    allow_private: bool,
    timeout_s: float = 10.0,
    now: int | None = None,
) -> DeliveryResult:
    address, port = resolve_target(url, allow_private)
    parts = urlsplit(url)
    body = json.dumps(payload, separators=(",", ":")).encode()
    sent = headers(secrets_in_force, message_id, now or int(time.time()), body)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPS(parts.hostname or address, address, port, timeout_s)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout_s)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**sent, "Content-Type": "application/json", "Host": parts.netloc},
        )
        response = connection.getresponse()
        response.read(65_536)
        return DeliveryResult(response.status, None)
    except OSError as error:
        return DeliveryResult(None, repr(error)[:500])
    finally:
        connection.close()
