"""A webhook delivery reaches a receiver on loopback (allowed explicitly, as the setting would)
whose every signature verifies; without the allowance loopback is refused before any call."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from domain.webhooks.signing import new_secret, verify
from infra.webhooks import TargetRefused, deliver

SECRET, OLD_SECRET = new_secret(), new_secret()


class Receiver(BaseHTTPRequestHandler):
    verified: ClassVar[list[tuple[str, bool, bool]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received = {k: self.headers[k] for k in ("webhook-id", "webhook-timestamp")}
        received["webhook-signature"] = self.headers["webhook-signature"]
        now = int(received["webhook-timestamp"])
        type(self).verified.append(
            (
                received["webhook-id"],
                verify(SECRET, received, body, now),
                verify(OLD_SECRET, received, body, now),
            )
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_signed_delivery_to_an_allowed_loopback_receiver_and_refusal_otherwise():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hooks"
    payload = {"type": "invoice.issued", "schema_version": "2026-12-01", "data": {}}
    try:
        result = deliver(url, [SECRET, OLD_SECRET], "msg_1", payload, allow_private=True)
        assert result.delivered and result.status == 204
        assert Receiver.verified == [("msg_1", True, True)]
        with pytest.raises(TargetRefused, match="loopback"):
            deliver(url, [SECRET], "msg_2", payload, allow_private=False)
        with pytest.raises(TargetRefused, match="loopback"):
            deliver(f"http://localhost:{server.server_port}/", [SECRET], "m", payload, False)
        assert len(Receiver.verified) == 1  # nothing reached the receiver
    finally:
        server.shutdown()
