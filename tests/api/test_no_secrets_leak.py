"""No password, TOTP secret, token or recovery code appears in any log line, stored event in
clear, API response after the one that created it, or read model."""

import logging

import psycopg
import structlog
from psycopg import sql as pgsql

from domain.access.roles import Role
from tests.api.auth_helpers import (
    PASSWORD,
    add_user,
    bearer,
    client_from,
    eventually,
    fresh_ip,
    login,
    totp_now,
)


def all_text_in_schemas(url: str, schemas: tuple[str, ...]) -> str:
    chunks = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema = ANY(%s)",
            (list(schemas),),
        ).fetchall()
        for schema, table in tables:
            query = pgsql.SQL("SELECT t::text FROM {}.{} t").format(
                pgsql.Identifier(schema), pgsql.Identifier(table)
            )
            chunks.extend(row[0] for row in conn.execute(query))
    return "\n".join(chunks)


def test_secrets_never_leak(api_services, tenant, database_url, store, clock, capsys, caplog):
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(),
    )
    caplog.set_level(logging.DEBUG)
    client = client_from(api_services, fresh_ip())
    secrets: list[str] = [PASSWORD]
    user = add_user(client, tenant)
    session = login(client, tenant, user["username"])
    secrets.append(session.json()["session_token"])
    login(client, tenant, user["username"], password="Wrong-But-Secret-1")
    secrets.append("Wrong-But-Secret-1")
    enrolled = client.post(
        "/reseller/auth/2fa/enroll", json={"password": PASSWORD}, headers=bearer(session)
    ).json()
    secrets.append(enrolled["secret"])
    confirmed = client.post(
        "/reseller/auth/2fa/confirm",
        json={"code": totp_now(enrolled["secret"], clock)},
        headers=bearer(session),
    ).json()
    secrets.extend(confirmed["recovery_codes"])
    clock.advance(seconds=30)
    second = login(client, tenant, user["username"], code=totp_now(enrolled["secret"], clock))
    secrets.append(second.json()["session_token"])
    third = login(client, tenant, user["username"], code=confirmed["recovery_codes"][0])
    secrets.append(third.json()["session_token"])
    token = client.post(
        "/reseller/api/tokens",
        headers=tenant.headers(Role.ADMIN),
        json={"label": "leak check", "role": "readonly"},
    ).json()
    secrets.append(token["token"])
    reset = client.post(
        f"/reseller/api/users/{user['user_id']}/reset-password", headers=tenant.headers()
    ).json()
    secrets.append(reset["temporary_password"])
    secrets.extend(v for v in tenant.tokens.values())

    # Responses after creation.
    later = [
        client.get(f"/reseller/api/users/{user['user_id']}", headers=tenant.headers()).text,
        client.get("/reseller/api/users", headers=tenant.headers()).text,
        client.get("/reseller/api/activity/logins", headers=tenant.headers()).text,
        client.get("/reseller/auth/sessions", headers=bearer(third)).text,
    ]
    # Read models, once they have caught up with everything above.
    head = store.recorder.max_notification_id()
    eventually(
        lambda: client.get(
            "/reseller/api/customers", headers=tenant.headers(), params={"wait_for_position": head}
        ).json()["position_reached"]
    )
    read_models = all_text_in_schemas(
        database_url,
        (
            "proj_customers",
            "proj_credit_accounts",
            "proj_journal",
            "proj_users",
            "proj_activity",
            "auth",
        ),
    )
    with psycopg.connect(database_url) as conn:
        events = "\n".join(
            bytes(row[0]).decode() for row in conn.execute("SELECT state FROM ledger_events")
        )
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text

    assert "password+totp" in read_models  # the login history is there to be scanned
    assert logs.count('"event": "request"') >= 10  # the request log is there to be scanned
    for secret in secrets:
        for where, text in (
            ("events", events),
            ("read models", read_models),
            ("logs", logs),
            ("later responses", "\n".join(later)),
        ):
            assert secret not in text, f"a secret leaked into {where}"
