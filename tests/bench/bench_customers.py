"""Customer list benchmark (issue 13): the list's queries at 100,000 customers per reseller.

Not part of CI. From the repository root:

    .venv/bin/python -m tests.bench.bench_customers [--customers 100000] [--resellers 3]

It creates a throwaway database `ledger_bench_<hex>` on the server named by
LEDGER_TEST_POSTGRES_URL, makes the customers projection's tables with their real DDL, fills
them with `--customers` rows for each of `--resellers` resellers (COPY, with services for a
third of them), VACUUM ANALYZEs (as autovacuum would), and times each query of
`projections.customers.customers.list_customers` as the API runs it (the count and one page of
50). The baseline, measured in the same run, is the first page of the default sort; each figure
is shown as a ratio to it, and the plan of a keyset page is checked to read an index in order
(no Sort node over the reseller's rows).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from projections.customers.customers import (
    CustomerFilters,
    CustomersProjector,
    encode_cursor,
    list_customers,
)
from tests.support.services import throwaway_database

CITIES = ("Lagos", "Abuja", "Kano", "Ibadan", "Enugu", "Jos", "Aba", "Benin")
REPEATS = 25


def fill(conn: psycopg.Connection[Any], resellers: int, customers: int) -> None:
    schema = CustomersProjector.live_schema()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for reseller in range(1, resellers + 1):
        rows, services = io.StringIO(), io.StringIO()
        for n in range(customers):
            customer_id = uuid.uuid4()
            created = (start + timedelta(seconds=n * resellers + reseller)).isoformat()
            city = CITIES[(n * 7 + reseller) % len(CITIES)]
            status = ("new", "active", "active", "suspended", "inactive")[n % 5]
            rows.write(
                f"{customer_id}\t{reseller}\t{reseller}\tR{reseller}-{n + 1:06d}\tperson\t"
                f"First{n}\tLast{n}\t\\N\tc{n}.{reseller}@example.com\t\\N\t\\N\t{city}\t"
                f"{status}\t1\t{created}\t{created}\n"
            )
            if n % 3 == 0:
                kind = ("internet", "voice", "bundle")[n % 9 // 3]
                services.write(f"{uuid.uuid4()}\t{customer_id}\t{kind}\tactive\n")
        with conn.cursor() as cur:
            with cur.copy(f"COPY {schema}.customers FROM STDIN") as copy:
                copy.write(rows.getvalue())
            with cur.copy(f"COPY {schema}.customer_services FROM STDIN") as copy:
                copy.write(services.getvalue())
    # As autovacuum leaves a settled table: statistics, and a visibility map for index-only counts.
    conn.execute(f"VACUUM ANALYZE {schema}.customers")
    conn.execute(f"VACUUM ANALYZE {schema}.customer_services")


def timed(run: Callable[[], object]) -> float:
    run()  # warm
    samples = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def page_plan(conn: psycopg.Connection[Any], where: str, order: str, params: dict[str, Any]) -> str:
    schema = CustomersProjector.live_schema()
    rows = conn.execute(
        f"EXPLAIN SELECT * FROM {schema}.customers WHERE {where} ORDER BY {order} LIMIT 50",
        params,
    ).fetchall()
    return "\n".join(str(r[0]) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--resellers", type=int, default=3)
    args = parser.parse_args()
    with throwaway_database("ledger_bench") as url, psycopg.connect(url, autocommit=True) as conn:
        CustomersProjector.create(conn, CustomersProjector.live_schema())
        began = time.perf_counter()
        fill(conn, args.resellers, args.customers)
        print(f"filled {args.resellers} x {args.customers:,} in {time.perf_counter() - began:.1f}s")
        reseller = 2
        deep_row = conn.execute(
            f"SELECT * FROM {CustomersProjector.live_schema()}.customers WHERE reseller_id = %s"
            " ORDER BY created_at, customer_id OFFSET %s LIMIT 1",
            (reseller, args.customers - 60),
        ).fetchone()
        assert deep_row is not None
        columns = [d.name for d in conn.execute(
            f"SELECT * FROM {CustomersProjector.live_schema()}.customers LIMIT 0"
        ).description or []]  # fmt: skip
        deep = dict(zip(columns, deep_row, strict=True))
        deep_created = encode_cursor("created_at", deep)
        deep_portal = encode_cursor("-portal_id", deep)

        def page(filters: CustomerFilters, **kw: Any) -> Callable[[], object]:
            return lambda: list_customers(conn, reseller, filters, 50, kw.pop("offset", 0), **kw)

        cases: list[tuple[str, Callable[[], object]]] = [
            ("first page, default sort (baseline)", page(CustomerFilters())),
            ("keyset page at depth N-60, created_at", page(CustomerFilters(), after=deep_created)),
            ("keyset page at depth N-60, -portal_id", page(CustomerFilters(), sort="-portal_id",
                                                           after=deep_portal)),
            ("offset page at depth N-60 (for contrast)", page(CustomerFilters(),
                                                              offset=args.customers - 60)),
            ("status=active", page(CustomerFilters(status="active"))),
            ("city=abuja", page(CustomerFilters(city="abuja"))),
            ("service_type=voice", page(CustomerFilters(service_type="voice"))),
            ("portal_id exact", page(CustomerFilters(portal_id=f"R{reseller}-054321"))),
        ]  # fmt: skip
        figures = [(name, timed(run)) for name, run in cases]
        baseline = figures[0][1]
        print(f"\n{'query (count + one page of 50)':48} {'median ms':>10} {'x baseline':>11}")
        for name, seconds in figures:
            print(f"{name:48} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")
        keyset_plan = page_plan(
            conn,
            "reseller_id = %(r)s AND (created_at, customer_id) > (%(k)s, %(i)s)",
            "created_at, customer_id",
            {"r": reseller, "k": deep["created_at"], "i": deep["customer_id"]},
        )
        in_order = "Index" in keyset_plan and "Sort" not in keyset_plan
        print(f"\nkeyset page reads an index in order (no Sort): {in_order}")
        if not in_order:
            print(keyset_plan)
            raise SystemExit(1)


if __name__ == "__main__":
    main()
