"""Customers list: one row per customer, filtered by status, searched by name/email/Portal ID."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from domain.ledger.personal import ERASED
from projections.base import Handler, Projector
from projections.envelope import Envelope

COLUMNS = (
    "customer_id",
    "tenant",
    "reseller_id",
    "portal_id",
    "customer_type",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "address",
    "city",
    "status",
    "version",
    "created_at",
    "updated_at",
)


def _registered(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    d = e.data
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.customers (customer_id, tenant, reseller_id, portal_id, customer_type,"
            " first_name, last_name, company_name, email, phone, address, city, status, version,"
            " created_at, updated_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'new',%s,%s,%s)"
        ).format(schema),
        (
            e.aggregate_id,
            e.tenant,
            d["reseller_number"],
            d["portal_id"],
            d["customer_type"],
            d["first_name"],
            d["last_name"],
            d["company_name"],
            d["email"],
            d["phone"],
            d["address"],
            d["city"],
            e.version,
            e.timestamp,
            e.timestamp,
        ),
    )


def _status_changed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.customers SET status = %s, version = %s, updated_at = %s "
            "WHERE customer_id = %s"
        ).format(schema),
        (e.data["to_status"], e.version, e.timestamp, e.aggregate_id),
    )


def _profile_changed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    changes: dict[str, list[Any]] = e.data["changes"]
    changed = [name for name in PROFILE_COLUMNS if name in changes]
    assignments = [
        pgsql.SQL("{} = {}").format(pgsql.Identifier(name), pgsql.Placeholder(name))
        for name in changed
    ]
    params: dict[str, Any] = {name: changes[name][1] for name in changed}
    params |= {"version": e.version, "at": e.timestamp, "id": e.aggregate_id}
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.customers SET {}version = %(version)s, updated_at = %(at)s"
            " WHERE customer_id = %(id)s"
        ).format(schema, pgsql.SQL("").join(a + pgsql.SQL(", ") for a in assignments)),
        params,
    )


PROFILE_COLUMNS = (
    "customer_type",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "address",
    "city",
)
PERSONAL_COLUMNS = ("first_name", "last_name", "company_name", "email", "phone", "address")


def _personal_data_erased(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    # Placeholders where there was something, NULL stays NULL.
    assignments = pgsql.SQL(", ").join(
        pgsql.SQL("{col} = CASE WHEN {col} IS NULL THEN NULL ELSE %(erased)s END").format(
            col=pgsql.Identifier(column)
        )
        for column in PERSONAL_COLUMNS
    )
    cur.execute(
        pgsql.SQL(
            "UPDATE {}.customers SET {}, version = %(version)s, updated_at = %(at)s"
            " WHERE customer_id = %(id)s"
        ).format(schema, assignments),
        {"erased": ERASED, "version": e.version, "at": e.timestamp, "id": e.aggregate_id},
    )


def _service_added(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL(
            "INSERT INTO {}.customer_services (service_id, customer_id, service_type, status)"
            " VALUES (%s, %s, %s, 'pending')"
        ).format(schema),
        (e.aggregate_id, e.data["customer_id"], e.data["service_type"]),
    )


def _service_status_changed(cur: Cursor[Any], schema: pgsql.Identifier, e: Envelope) -> None:
    cur.execute(
        pgsql.SQL("UPDATE {}.customer_services SET status = %s WHERE service_id = %s").format(
            schema
        ),
        (e.data["to_status"], e.aggregate_id),
    )


class CustomersProjector(Projector):
    name = "customers"
    tables = (("customers", "customer_id"), ("customer_services", "service_id"))
    ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.customers ("
        " customer_id uuid PRIMARY KEY, tenant bigint NOT NULL, reseller_id bigint NOT NULL,"
        " portal_id text NOT NULL UNIQUE, customer_type text NOT NULL, first_name text,"
        " last_name text, company_name text, email text, phone text, address text, city text,"
        " status text NOT NULL, version bigint NOT NULL,"
        " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS customers_reseller_status"
        " ON {schema}.customers (reseller_id, status, created_at, customer_id)",
        "CREATE INDEX IF NOT EXISTS customers_reseller_city"
        " ON {schema}.customers (reseller_id, lower(city))",
        "CREATE TABLE IF NOT EXISTS {schema}.customer_services ("
        " service_id uuid PRIMARY KEY, customer_id uuid NOT NULL, service_type text NOT NULL,"
        " status text NOT NULL)",
        "CREATE INDEX IF NOT EXISTS customer_services_type"
        " ON {schema}.customer_services (service_type, customer_id) WHERE status <> 'terminated'",
    )
    handlers: ClassVar[dict[str, Handler]] = {
        "Customer.Registered": _registered,
        "Customer.StatusChanged": _status_changed,
        "Customer.ProfileChanged": _profile_changed,
        "Customer.PersonalDataErased": _personal_data_erased,
        "CustomerService.Added": _service_added,
        "CustomerService.StatusChanged": _service_status_changed,
    }


@dataclass(frozen=True, slots=True)
class CustomerFilters:
    """The list's filters (seed §3.1); None means any."""

    status: str | None = None
    search: str | None = None
    portal_id: str | None = None
    city: str | None = None
    service_type: str | None = None
    """Customers with a service of this type that is not terminated."""


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: list[dict[str, Any]]
    total: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_customers(
    conn: Connection[Any],
    reseller_id: int,
    filters: CustomerFilters,
    limit: int,
    offset: int,
    only: list[str] | None = None,
) -> CustomerPage:
    """One page of a reseller's customers; `only` limits them to these ids or Portal IDs."""
    schema = pgsql.Identifier(CustomersProjector.live_schema())
    where: list[pgsql.Composable] = [pgsql.SQL("reseller_id = %(reseller)s")]
    params: dict[str, Any] = {"reseller": reseller_id, "limit": limit, "offset": offset}
    search = filters.search
    if filters.status is not None:
        where.append(pgsql.SQL("status = %(status)s"))
        params["status"] = filters.status
    if filters.portal_id is not None:
        where.append(pgsql.SQL("portal_id = %(portal_id)s"))
        params["portal_id"] = filters.portal_id.upper()
    if filters.city is not None:
        where.append(pgsql.SQL("lower(city) = lower(%(city)s)"))
        params["city"] = filters.city.strip()
    if filters.service_type is not None:
        where.append(
            pgsql.SQL(
                "EXISTS (SELECT 1 FROM {}.customer_services s WHERE s.customer_id ="
                " customers.customer_id AND s.service_type = %(service_type)s"
                " AND s.status <> 'terminated')"
            ).format(schema)
        )
        params["service_type"] = filters.service_type
    if only:
        where.append(pgsql.SQL("(customer_id::text = ANY(%(only)s) OR portal_id = ANY(%(only)s))"))
        params["only"] = only
    if search:
        where.append(
            pgsql.SQL(
                "(portal_id ILIKE %(q)s OR email ILIKE %(q)s OR first_name ILIKE %(q)s"
                " OR last_name ILIKE %(q)s OR company_name ILIKE %(q)s"
                " OR (first_name || ' ' || last_name) ILIKE %(q)s)"
            )
        )
        params["q"] = f"%{_escape_like(search)}%"
    condition = pgsql.SQL(" AND ").join(where)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT count(*) AS n FROM {}.customers WHERE {}").format(schema, condition),
            params,
        )
        total_row = cur.fetchone()
        cur.execute(
            pgsql.SQL(
                "SELECT * FROM {}.customers WHERE {} ORDER BY created_at, customer_id"
                " LIMIT %(limit)s OFFSET %(offset)s"
            ).format(schema, condition),
            params,
        )
        rows = cur.fetchall()
    return CustomerPage([_shape(row) for row in rows], int(total_row["n"]) if total_row else 0)


def get_customer(conn: Connection[Any], customer_id: str) -> dict[str, Any] | None:
    schema = pgsql.Identifier(CustomersProjector.live_schema())
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            pgsql.SQL("SELECT * FROM {}.customers WHERE customer_id = %s").format(schema),
            (customer_id,),
        )
        row = cur.fetchone()
    return _shape(row) if row else None


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    shaped = {k: row[k] for k in COLUMNS if k != "tenant"}
    shaped["customer_id"] = str(row["customer_id"])
    shaped["created_at"] = row["created_at"].isoformat()
    shaped["updated_at"] = row["updated_at"].isoformat()
    return shaped
