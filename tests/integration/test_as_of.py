"""`--as-of` statements equal what a projection built at that instant held: every projection
captured at instant T has the same checksum as its rebuild as of T, made after more events
(including corrections backdated to before T) were recorded."""

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from projections.feeds import catch_up_from_store
from projections.registry import PROJECTORS
from replays.as_of import (
    SchemaRefused,
    build_as_of,
    check_auditor_schema,
    position_at,
    projection_as_of,
)
from replays.checksum import projection_checksum
from replays.rebuild import drop_schema
from tests.conftest import prepared_store
from tests.support.history import (
    HistoryPlan,
    backdated_corrections,
    continue_history,
    generate_history,
)
from tests.support.services import throwaway_database

PLAN = HistoryPlan(
    seed=7, tenants=2, customers_per_reseller=2, last_month=date(2025, 4, 1), close_year=None
)


@pytest.fixture
def isolated():
    with throwaway_database("ledger_as_of") as url:
        store = prepared_store(url)
        yield url, store
        store.close()


def catch_up_all(store, conn) -> None:
    for projector in PROJECTORS.values():
        catch_up_from_store(store, conn, projector, 500)


def database_now(conn) -> datetime:
    return conn.execute("SELECT clock_timestamp()").fetchone()[0]


def test_a_projection_as_of_an_instant_equals_what_it_held_then(isolated):
    url, store = isolated
    with psycopg.connect(url, autocommit=True) as conn:
        before_anything = database_now(conn)
        history = generate_history(store, PLAN)
        catch_up_all(store, conn)
        instant = database_now(conn)
        head_then = store.recorder.max_notification_id()
        captured = {name: projection_checksum(conn, p) for name, p in PROJECTORS.items()}

        # Later: two more months, and corrections dated before the instant.
        continue_history(store, history, months=2, seed=8)
        backdated_corrections(store, history, on=date(2025, 3, 15), seed=9)
        catch_up_all(store, conn)
        assert store.recorder.max_notification_id() > head_then
        backdated = conn.execute(
            "SELECT count(*) FROM proj_journal.journal_lines"
            " WHERE effective_date = '2025-03-15' AND position > %s",
            (head_then,),
        ).fetchone()[0]
        assert backdated > 0
        now = {name: projection_checksum(conn, p) for name, p in PROJECTORS.items()}
        for name in ("journal", "billing", "commissions", "credit_accounts"):
            assert now[name] != captured[name], f"{name} did not change after the instant"

        assert position_at(store, conn, instant) == head_then
        assert position_at(store, conn, before_anything) == 0
        for name, projector in PROJECTORS.items():
            with projection_as_of(store, conn, projector, instant) as built:
                assert built.position == head_then
                assert projection_checksum(conn, projector, built.schema) == captured[name], name
                rows = conn.execute(
                    f"SELECT count(*) FROM {built.table(projector.tables[0][0]).as_string(conn)}"
                ).fetchone()[0]
                assert rows == captured[name][projector.tables[0][0]].rows
            exists = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (built.schema,)
            ).fetchone()
            assert exists is None, "the temporary schema is dropped"

        empty = build_as_of(store, conn, PROJECTORS["journal"], before_anything, "audit_empty")
        assert (empty.position, empty.report.events) == (0, 0)
        assert conn.execute("SELECT count(*) FROM audit_empty.journal_lines").fetchone()[0] == 0
        drop_schema(conn, "audit_empty")


def test_auditor_schemas_never_clash_with_live_ones(isolated):
    url, store = isolated
    journal = PROJECTORS["journal"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA someone_elses")
        for name in (
            "proj_journal",
            "proj_journal__rebuild",
            "public",
            "auth",
            "bi",
            "ledger_relay",
            "pg_catalog",
            "someone_elses",
            "Bad-Name",
            "",
        ):
            with pytest.raises(SchemaRefused):
                check_auditor_schema(conn, name)
        instant = datetime.now(UTC) + timedelta(seconds=1)
        first = build_as_of(store, conn, journal, instant, "audit_2026")
        again = build_as_of(store, conn, journal, instant, "audit_2026")  # a replay's own: replaced
        assert first.schema == again.schema == "audit_2026"
        comment = conn.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace"
            " WHERE nspname = 'audit_2026'"
        ).fetchone()[0]
        assert comment.startswith("ledger replay: journal as of")
        with pytest.raises(ValueError, match="timezone"):
            position_at(store, conn, datetime(2026, 1, 1))
        drop_schema(conn, "audit_2026")
