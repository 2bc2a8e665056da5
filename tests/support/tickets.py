"""Support-desk builders for the authorization matrix: tickets in a given state, an attachment,
an article, each made through the real command handlers as the master ISP."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from commands.support.knowledge_base import PublishArticle, publish
from commands.support.tickets import (
    AddMessage,
    ChangeStatus,
    OpenTicket,
    Resolve,
    add_message,
    change_status,
    open_ticket,
    resolve,
)
from domain.access.roles import Permission as P
from tests.support.builders import context

Request = tuple[str, dict[str, Any] | None, dict[str, Any] | None]
T = "/reseller/api/tickets"


api_clock: list[Callable[[], datetime]] = []
"""The API's clock, which tests move forward; the authorization matrix and the race test set
it. Tickets are made on it, so a reopen sent through the API stays within its window."""


def _now() -> datetime | None:
    return api_clock[0]() if api_clock else None


def ticket(store: Any, number: int, state: str = "new") -> dict[str, Any]:
    result = open_ticket(
        store,
        context(now=_now()),
        OpenTicket(
            reseller_id=number,
            subject="Matrix",
            description="matrix",
            category="technical",
            source="internal",
        ),
    )
    body: dict[str, Any] = json.loads(result.body)
    tid = uuid.UUID(body["ticket_id"])
    if state in ("in_progress", "resolved"):
        change_status(store, context(now=_now()), tid, ChangeStatus(status="in_progress"))
    if state == "resolved":
        resolve(store, context(now=_now()), tid, Resolve(resolution="done"))
    if state == "attachment":
        result = add_message(
            store,
            context(now=_now()),
            tid,
            AddMessage.model_validate(
                {
                    "body": "file",
                    "attachments": [
                        {"filename": "m.txt", "content_base64": base64.b64encode(b"m").decode()}
                    ],
                }
            ),
        )
        body = json.loads(result.body)
    return body


def _attachment_url(store: Any, number: int) -> str:
    body = ticket(store, number, "attachment")
    (attachment,) = body["messages"][-1]["attachments"]
    return f"{T}/{body['ticket_id']}/attachments/{attachment['attachment_id']}"


def _article(store: Any, number: int) -> str:
    result = publish(
        store,
        context(now=_now()),
        PublishArticle(reseller_id=number, category="technical", title="Matrix", body="matrix"),
    )
    return str(json.loads(result.body)["article_id"])


def _customer(store: Any, number: int) -> str:
    from commands.customers.customers import CreateCustomer, create_customer

    result = create_customer(
        store,
        context(now=_now()),
        CreateCustomer(customer_type="person", first_name="C", last_name="L", reseller_id=number),
    )
    return str(json.loads(result.body)["customer_id"])


def _user(store: Any, number: int) -> str:
    from tests.support.builders import new_user

    return new_user(store, number, f"s.{uuid.uuid4().hex[:10]}", role="user")


def _head(store: Any) -> int:
    return int(store.recorder.max_notification_id())


def _on(state: str, path: str, body: dict[str, Any] | None) -> Callable[[Any, int], Request]:
    return lambda s, n: (f"{T}/{ticket(s, n, state)['ticket_id']}{path}", None, body)


def support_policy(scoped: Callable[..., Any]) -> dict[tuple[str, str], Any]:
    """The support routes' rows for the authorization matrix (`scoped` is its `Scoped`)."""
    tm = P.TICKET_MANAGE
    new_ticket = {"subject": "m", "description": "m", "category": "technical"}
    return {
        ("POST", T): scoped(
            tm, lambda s, n: (T, None, {**new_ticket, "reseller_id": n, "source": "internal"})
        ),
        ("GET", T): scoped(tm, lambda s, n: (T, {"reseller_id": n}, None)),
        ("GET", T + "/{ticket_id}"): scoped(tm, _on("new", "", None)),
        ("GET", T + "/{ticket_id}/customer-view"): scoped(tm, _on("new", "/customer-view", None)),
        ("GET", T + "/{ticket_id}/history"): scoped(
            tm,
            lambda s, n: (
                f"{T}/{ticket(s, n)['ticket_id']}/history",
                {"wait_for_position": _head(s)},
                None,
            ),
        ),
        ("GET", T + "/{ticket_id}/attachments/{attachment_id}"): scoped(
            tm, lambda s, n: (_attachment_url(s, n), None, None)
        ),
        ("POST", T + "/{ticket_id}/messages"): scoped(tm, _on("new", "/messages", {"body": "m"})),
        ("POST", T + "/{ticket_id}/assign"): scoped(
            tm,
            lambda s, n: (
                f"{T}/{ticket(s, n)['ticket_id']}/assign",
                None,
                {"assignee_user_id": _user(s, n)},
            ),
        ),
        ("POST", T + "/{ticket_id}/status"): scoped(
            tm, _on("new", "/status", {"status": "in_progress"})
        ),
        ("POST", T + "/{ticket_id}/escalate"): scoped(tm, _on("new", "/escalate", {"reason": "m"})),
        ("POST", T + "/{ticket_id}/resolve"): scoped(
            tm, _on("in_progress", "/resolve", {"resolution": "m"})
        ),
        ("POST", T + "/{ticket_id}/reopen"): scoped(
            tm, _on("resolved", "/reopen", {"reason": "m"})
        ),
        ("POST", T + "/{ticket_id}/confirm"): scoped(
            tm, _on("resolved", "/confirm", {"satisfaction": 4})
        ),
        ("POST", T + "/{ticket_id}/articles"): scoped(
            tm,
            lambda s, n: (
                f"{T}/{ticket(s, n)['ticket_id']}/articles",
                None,
                {"article_id": _article(s, n)},
            ),
        ),
        ("GET", "/reseller/api/support/queue"): scoped(
            tm, lambda s, n: ("/reseller/api/support/queue", None, None), isp_only=True
        ),
        ("GET", "/reseller/api/support/settings"): scoped(
            tm, lambda s, n: ("/reseller/api/support/settings", {"reseller_id": n}, None)
        ),
        ("PUT", "/reseller/api/support/settings"): scoped(
            tm, lambda s, n: ("/reseller/api/support/settings", None, {"reseller_id": n})
        ),
        ("GET", "/reseller/api/support/categories"): scoped(
            tm, lambda s, n: ("/reseller/api/support/categories", {"reseller_id": n}, None)
        ),
        ("POST", "/reseller/api/support/categories"): scoped(
            tm,
            lambda s, n: (
                "/reseller/api/support/categories",
                None,
                {"name": f"c{uuid.uuid4().hex[:10]}"},
            ),
            isp_only=True,
        ),
        ("GET", "/reseller/api/support/metrics"): scoped(
            tm, lambda s, n: ("/reseller/api/support/metrics", {"reseller_id": n}, None)
        ),
        ("POST", "/reseller/api/kb/articles"): scoped(
            tm,
            lambda s, n: (
                "/reseller/api/kb/articles",
                None,
                {"reseller_id": n, "category": "technical", "title": "m", "body": "m"},
            ),
        ),
        ("GET", "/reseller/api/support/report"): scoped(
            P.REPORT_VIEW,
            lambda s, n: (
                "/reseller/api/support/report",
                {"reseller_id": n, "date_from": "2026-01-01", "date_to": "2026-12-31"},
                None,
            ),
        ),
        ("GET", "/reseller/api/support/communications"): scoped(
            tm,
            lambda s, n: (
                "/reseller/api/support/communications",
                {"customer_id": _customer(s, n)},
                None,
            ),
        ),
        ("GET", "/reseller/api/kb/articles"): scoped(
            tm, lambda s, n: ("/reseller/api/kb/articles", {"reseller_id": n, "q": "m"}, None)
        ),
        ("GET", "/reseller/api/kb/articles/{article_id}"): scoped(
            tm, lambda s, n: (f"/reseller/api/kb/articles/{_article(s, n)}", None, None)
        ),
        ("PUT", "/reseller/api/kb/articles/{article_id}"): scoped(
            tm,
            lambda s, n: (
                f"/reseller/api/kb/articles/{_article(s, n)}",
                None,
                {"title": "m2", "body": "m2"},
            ),
        ),
    }
