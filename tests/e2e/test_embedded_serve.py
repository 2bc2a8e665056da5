"""The embedded default as a user meets it: `ledger serve` in a fresh data directory with no
LEDGER_ settings starts its own PostgreSQL, prints the URL and a bootstrap token; with that token
a reseller and then a customer (the seed's §3.2 JSON, as-is) are created and read back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.api.helpers import SEED_CUSTOMER
from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 180


def test_ledger_serve_on_a_fresh_data_directory(tmp_path):
    workdir = tmp_path / "fresh"
    workdir.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["PYTHONPATH"] = str(REPO)
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    try:
        token = url = None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline and token is None:
            output = "".join(lines)
            token_match = re.search(r"Bootstrap ISP admin token[^:]*: (rl_\S+)", output)
            url_match = re.search(r"listening on (http://\S+)", output)
            if token_match and url_match:
                token, url = token_match.group(1), url_match.group(1)
            assert server.poll() is None, output
            time.sleep(0.2)
        assert token and url, "".join(lines)
        assert (workdir / "ledger-data" / "postgres" / "PG_VERSION").exists()

        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, timeout=30) as http:
            for _ in range(100):  # the port opens a moment after the banner
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            reseller = http.post(
                "/reseller/api/resellers",
                headers=headers,
                json={
                    "reseller_code": "ABC_ISP",
                    "name": "ABC Internet Services",
                    "country": "NG",
                    "currency": "NGN",
                    "credit_limit": "500000.00",
                },
            )
            assert reseller.status_code == 201, reseller.text
            assert reseller.json()["reseller_id"] == 1
            created = http.post("/reseller/api/customers", headers=headers, json=SEED_CUSTOMER)
            assert created.status_code == 201, created.text
            customer = created.json()
            assert customer["portal_id"] == "ABC_ISP-000001"
            listed = http.get(
                "/reseller/api/customers",
                headers=headers,
                params={
                    "reseller_id": 1,
                    "wait_for_position": created.headers["Ledger-Position"],
                    "wait_timeout_ms": 5000,
                },
            )
            assert listed.status_code == 200
            body = listed.json()
            assert body["position_reached"] is True
            assert [c["customer_id"] for c in body["items"]] == [customer["customer_id"]]
            assert body["items"][0]["first_name"] == "John"
            assert http.get("/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in "".join(lines), "".join(lines)
    # A clean shutdown on SIGTERM also stops the embedded PostgreSQL.
    assert server.returncode == 0, "".join(lines)
    assert not (workdir / "ledger-data" / "postgres" / "postmaster.pid").exists()
