"""What every route needs: the services, the authenticated principal and the request context."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Protocol, cast
from uuid import UUID

import structlog
from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from psycopg import Connection
from psycopg_pool import ConnectionPool
from starlette.responses import Response

from api.boundary import parse_json_body, refuse_path_params, refuse_unknown_query
from api.client_address import FORWARDED_FOR, IPNetwork, client_address
from api.waiting import RETRY_AFTER_S as WAIT_RETRY_AFTER_S
from api.waiting import LazyConnection, PositionWaiters, TooManyWaiters, WaitLimits
from commands.access.auth import SESSION_PREFIX, AuthServices, authenticate_session
from commands.access.tokens import authenticate
from commands.commissions.disputes import DisputeConfig
from commands.partners.resellers import tenant_of
from commands.principal import Principal, RequestContext
from commands.runner import CommandResult
from domain.access.roles import Role
from domain.commissions.statements import PartyDetails
from projections.base import Projector, has_reached

Store = Any  # the eventsourcing Application; api never builds one itself
POSITION_HEADER = "Ledger-Position"
AUTH_PREFIX = "/reseller/auth/"


@dataclass(frozen=True)
class ApiConfig:
    page_size_max: int = 100
    read_wait_max_ms: int = 5_000
    max_body_bytes: int = 65_536
    audit_export_max_rows: int = 100_000
    ready_max_lag_s: float = 60.0
    disputes: DisputeConfig = field(default_factory=DisputeConfig)
    trusted_proxies: tuple[IPNetwork, ...] = ()
    """Peers whose X-Forwarded-For is believed (LEDGER_TRUSTED_PROXIES); none by default."""
    """Peers whose X-Forwarded-For is believed (LEDGER_TRUSTED_PROXIES); none by default."""
    wait_limits: WaitLimits = field(default_factory=WaitLimits)


class Jobs(Protocol):
    """Background work the API can start (Dramatiq, wired by infra)."""

    def billing_run(self, reseller_number: int, period_start: date, period_end: date) -> str: ...

    def billing_cycle_run(self, reseller_number: int, on: date) -> str: ...


@dataclass
class ApiServices:
    store: Store
    read_pool: ConnectionPool[Connection[Any]]
    auth: AuthServices
    config: ApiConfig = field(default_factory=ApiConfig)
    jobs: Jobs | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    payer: PartyDetails = field(
        default_factory=lambda: PartyDetails("Reseller Ledger ISP", "", None, "NG")
    )
    """The ISP as payer on tax statements (LEDGER_PAYER_NAME, _ADDRESS, _TIN)."""
    waiters: PositionWaiters = field(default_factory=PositionWaiters)


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


Services = Annotated[ApiServices, Depends(get_services)]


def read_connection(request: Request, services: Services) -> Iterator[Connection[Any]]:
    """Checked out on first use, handed back while waiting for a position (api.waiting)."""
    lazy = LazyConnection(services.read_pool, request.state)
    try:
        yield cast(Connection[Any], lazy)
    finally:
        lazy.close()


ReadConnection = Annotated[Connection[Any], Depends(read_connection)]


def current_principal(
    request: Request,
    services: Services,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    principal = None
    if scheme.lower() == "bearer" and token.startswith(SESSION_PREFIX):
        principal = authenticate_session(
            services.store, services.auth, token, services.clock(), client_ip(request)
        )
    elif scheme.lower() == "bearer" and token:
        principal = authenticate(services.store, token, services.clock())
    if principal is None:
        structlog.get_logger(__name__).warning("authentication.failed", path=request.url.path)
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.principal = principal
    structlog.contextvars.bind_contextvars(
        user=principal.subject, role=principal.role.value, reseller=principal.reseller_number
    )
    if principal.session_scope != "full" and not request.url.path.startswith(AUTH_PREFIX):
        need = (
            "a password change"
            if principal.session_scope == "change_password"
            else ("two-factor enrollment")
        )
        raise HTTPException(403, f"this session is limited to {need} until it is done")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
MAX_USER_AGENT = 300


def client_ip(request: Request) -> str | None:
    """The caller's address: the peer, or what a trusted proxy forwarded (api.client_address)."""
    peer = request.client.host if request.client else None
    proxies = get_services(request).config.trusted_proxies
    return client_address(peer, request.headers.getlist(FORWARDED_FOR), proxies)


def user_agent(request: Request) -> str | None:
    agent = request.headers.get("user-agent")
    return agent[:MAX_USER_AGENT] if agent else None


def anonymous_context(request: Request, services: ApiServices) -> RequestContext:
    """For login: nobody is authenticated yet."""
    return RequestContext(
        principal=Principal(subject="anonymous", role=Role.READONLY, reseller_number=None),
        request_id=request.state.request_id,
        received_at=services.clock(),
        client_ip=client_ip(request),
        user_agent=user_agent(request),
    )


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def request_context(
    request: Request,
    principal: CurrentPrincipal,
    services: Services,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Repeat a request safely: the same key and body return the first "
            "response; the same key with another body is refused (422). Keys are kept forever.",
        ),
    ] = None,
) -> RequestContext:
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise HTTPException(422, "Idempotency-Key must be 1-255 visible ASCII characters")
    return RequestContext(
        principal=principal,
        request_id=request.state.request_id,
        received_at=services.clock(),
        client_ip=client_ip(request),
        idempotency_key=idempotency_key,
        user_agent=user_agent(request),
    )


Context = Annotated[RequestContext, Depends(request_context)]


def if_match_version(
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description="The aggregate version the change expects"),
    ] = None,
) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip().strip('"').removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 12:
        raise HTTPException(422, "If-Match must be a version number")
    return int(value)


IfMatch = Annotated[int | None, Depends(if_match_version)]


def command_response(result: CommandResult) -> Response:
    headers = {}
    if result.position is not None:
        headers[POSITION_HEADER] = str(result.position)
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        result.body, status_code=result.status_code, media_type="application/json", headers=headers
    )


READ_WAIT_MS = 2_000
"""How long a read waits, by default, for the caller's own write (`wait_for_position`) to
reach its projection; the client may ask for less or more, up to `read_wait_max_ms`."""

WaitTimeout = Annotated[int, Query(ge=0)]
"""The `wait_timeout_ms` query parameter: milliseconds, default `READ_WAIT_MS`."""


def wait_until(
    services: ApiServices,
    conn: Connection[Any],
    projector: type[Projector],
    position: int | None,
    reseller_number: int | None,
    timeout_ms: int,
) -> bool:
    """Bounded read-your-writes: wait (at most the configured maximum) until the projection
    holds `position` for the reseller's tenant (every tenant if None). The wait holds no pooled
    connection and is bounded per principal and tenant (429 beyond, api.waiting)."""
    if position is None:
        return True
    tenant = None if reseller_number is None else tenant_of(services.store, reseller_number)
    timeout_ms = min(timeout_ms, services.config.read_wait_max_ms)
    if has_reached(conn, projector, position, tenant):
        return True
    if timeout_ms <= 0:
        return False
    who = "anonymous"
    if isinstance(conn, LazyConnection):
        principal = getattr(conn.state, "principal", None)
        if isinstance(principal, Principal):
            who = f"{principal.realm}:{principal.reseller_number}:{principal.subject}"
        conn.release()
    try:
        return services.waiters.wait(
            services.read_pool,
            projector,
            position,
            tenant,
            timeout_ms / 1000,
            who,
            services.config.wait_limits,
        )
    except TooManyWaiters as error:
        raise HTTPException(
            429, str(error), headers={"Retry-After": str(WAIT_RETRY_AFTER_S)}
        ) from None


class _DecimalRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json_body(await self.body())
        return self._json


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("application/") and (
        media == "application/json" or media.endswith("+json")
    )


def query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter a route takes, its dependencies' included."""
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= query_names(dependency)
    return frozenset(names)


class ExactJSONRoute(APIRoute):
    """Parses JSON numbers as Decimal, so an amount like 99.99 is never a float on the way in,
    and refuses a body that is not JSON (saying where) or holds text no store can keep."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None
        known_query = query_names(self.dependant)

        async def exact_handler(request: Request) -> Response:
            exact = _DecimalRequest(request.scope, request.receive)
            refuse_path_params(exact.path_params)
            refuse_unknown_query(exact.query_params.keys(), known_query)
            json_body = takes_body and _is_json(exact.headers.get("content-type"))
            if json_body and await exact.body():
                await exact.json()  # a refusal here is a 422 naming where
            return await handler(exact)

        return exact_handler


def parse_uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise HTTPException(404, f"{what} not found") from None
