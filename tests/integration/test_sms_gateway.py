"""The SMS gateway adapter posts the message with the reseller's sender ID to a real HTTP
receiver on loopback; a 4xx is a bounce, a 5xx a failure to retry."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from infra.notifier import Bounced, SmsConfig, send_sms


class Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 202

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_sms_reaches_the_gateway_with_the_sender_id():
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        config = SmsConfig(f"http://127.0.0.1:{server.server_port}/send")
        send_sms(config, "42-0.u.sms", "+2348000000000", "Credit at 80%", "ACMENET")
        assert Gateway.received[-1] == {
            "message_id": "42-0.u.sms",
            "to": "+2348000000000",
            "from": "ACMENET",
            "text": "Credit at 80%",
        }
        Gateway.status = 400
        with pytest.raises(Bounced):
            send_sms(config, "42-1.u.sms", "+2348000000000", "x", "ACMENET")
        Gateway.status = 503
        with pytest.raises(OSError):
            send_sms(config, "42-2.u.sms", "+2348000000000", "x", "ACMENET")
    finally:
        server.shutdown()
