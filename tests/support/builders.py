"""Builders that set up a tenant through the real command layer."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from commands.access.tokens import IssueToken, issue_token
from commands.partners.resellers import CreateReseller, create_reseller
from commands.principal import Principal, RequestContext
from domain.access.roles import Role

ISP = Principal(subject="test-isp", role=Role.ISP_ADMIN, reseller_number=None)
_request_ids = itertools.count(1)


def context(
    principal: Principal = ISP, idempotency_key: str | None = None, now: datetime | None = None
) -> RequestContext:
    return RequestContext(
        principal=principal,
        request_id=f"test-{next(_request_ids)}",
        received_at=now or datetime.now(UTC),
        idempotency_key=idempotency_key,
    )


def reseller_principal(number: int, role: Role = Role.ADMIN) -> Principal:
    """A reseller's API token principal (activity is recorded for token and user subjects)."""
    return Principal(subject=f"token:test-{role.value}-{number}", role=role, reseller_number=number)


def new_user(store: Any, reseller_number: int, username: str, role: str = "manager") -> str:
    """A team member without a password (nothing to hash, so no auth services needed)."""
    from commands.access.auth import AuthConfig, AuthServices
    from commands.access.users import CreateUser, create_user

    auth = AuthServices(config=AuthConfig(), sessions=None, throttle=None, box=None)  # type: ignore[arg-type]
    result = create_user(
        store,
        auth,
        context(reseller_principal(reseller_number)),
        CreateUser(username=username, email=f"{username}@example.com", role=role),
    )
    return str(json.loads(result.body)["user_id"])


@dataclass
class Tenant:
    number: int
    code: str
    currency: str
    tokens: dict[Role, str]

    def headers(self, role: Role = Role.ADMIN, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}


def new_reseller(
    store: Any,
    currency: str = "USD",
    credit_limit: str = "1000.00",
    roles: tuple[Role, ...] = (Role.ADMIN,),
    parent: int | None = None,
    commission_percent: str | None = "10.00",
    customer_limit: int | None = None,
    opened_on: date | None = date(2000, 1, 1),
) -> Tenant:
    """A reseller (by the master ISP), opened long ago by default so that tests may date money
    events in the past (a reseller migrated with its history)."""
    code = f"T{uuid.uuid4().hex[:12].upper()}"
    result = create_reseller(
        store,
        context(),
        CreateReseller(
            reseller_code=code,
            name=f"Reseller {code}",
            country="NG",
            currency=currency,
            credit_limit=Decimal(credit_limit),
            parent_reseller_id=parent,
            commission_percent=None if commission_percent is None else Decimal(commission_percent),
            customer_limit=customer_limit,
            opened_on=opened_on,
        ),
    )
    number = json.loads(result.body)["reseller_id"]
    tokens = {}
    for role in roles:
        issued = issue_token(
            store, context(), IssueToken(label=f"{role.value} token", role=role, reseller_id=number)
        )
        tokens[role] = json.loads(issued.body)["token"]
    return Tenant(number, code, currency, tokens)


def isp_token(store: Any) -> str:
    issued = issue_token(store, context(), IssueToken(label="isp test", role=Role.ISP_ADMIN))
    return str(json.loads(issued.body)["token"])
