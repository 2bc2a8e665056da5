"""A throwaway API for a schemathesis run (issue 11 must-show 3; permanent in issue 19).

    .venv/bin/python -m tests.support.schemathesis_server 18734 tokens.json &
    .venv/bin/st --config-file tests/support/schemathesis.toml run \
        http://127.0.0.1:18734/openapi.json --checks all -H "Authorization: Bearer <token>" \
        -n 10 --workers 2 --phases examples,coverage,fuzzing --request-timeout 30 --seed 7

It serves a fresh database with the store feed, and writes an ISP admin token and a reseller
admin token to the given file. Logs are JSON (the console renderer's tracebacks are slow)."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import psycopg
import uvicorn
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.deps import ApiConfig, ApiServices
from commands.access.auth import AuthConfig, AuthServices
from domain.access.roles import Role
from infra.auth_store import FernetBox, PostgresSessionStore, PostgresThrottle
from infra.http_server import server_config
from infra.logging import configure_logging
from projections.feeds import run_store_feed
from projections.registry import PROJECTORS
from tests.conftest import TEST_SECRET_KEY, prepared_store
from tests.support.builders import isp_token, new_reseller
from tests.support.services import throwaway_database


def main(port: int, tokens_file: str) -> None:
    configure_logging("WARNING", json_output=True)
    with throwaway_database("ledger_st") as url:
        store = prepared_store(url)
        stopping = threading.Event()
        feed = threading.Thread(
            target=run_store_feed,
            args=(
                store,
                lambda: psycopg.connect(url, autocommit=True),
                list(PROJECTORS.values()),
                500,
                0.05,
                stopping,
            ),
            daemon=True,
        )
        feed.start()
        pool: ConnectionPool[Any] = ConnectionPool(
            url, min_size=1, max_size=8, kwargs={"autocommit": True}, open=True
        )
        auth = AuthServices(
            config=AuthConfig(),
            sessions=PostgresSessionStore(pool),
            throttle=PostgresThrottle(pool),
            box=FernetBox(TEST_SECRET_KEY),
        )
        services = ApiServices(store=store, read_pool=pool, auth=auth, config=ApiConfig())
        tenant = new_reseller(store, roles=(Role.ADMIN,))
        with open(tokens_file, "w") as out:
            json.dump({"isp": isp_token(store), "reseller_admin": tenant.tokens[Role.ADMIN]}, out)
        try:
            uvicorn.Server(server_config(create_app(services), "127.0.0.1", port)).run()
        finally:
            stopping.set()
            pool.close()
            store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
