"""Support tickets (seed §9, with the seed's Terminology for statuses and priorities).

Lifecycle: `new` (just created, unassigned) -> `assigned` (to a team member or queue) ->
`in_progress` <-> `pending_customer` (the SLA clock stops), `escalated` (moved to a higher
tier) -> `resolved` -> `closed` (the customer confirmed, or nobody objected for the desk's
auto-close days). A resolved ticket may be reopened within the desk's reopen window; a closed
ticket is final.

Escalation tiers (§9.2): `level_1` reseller support, `level_2` reseller technical specialists,
`level_3` master ISP support, `emergency` ISP engineering. One step at a time; from level 3 on
the ticket is in the master ISP's queue, and only the ISP takes it to `emergency`.

The conversation holds customer-visible replies and internal notes (never shown to the
customer), each with attachments recorded with their SHA-256. Instants come in as arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.personal import PersonalText
from domain.support.attachments import Attachment
from domain.support.ticket_terms import (
    AUTHOR_KINDS,
    ISP_LEVELS,
    MAX_ARTICLES,
    MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_PER_MESSAGE,
    MAX_MESSAGES,
    MAX_SUBJECT,
    OPEN_STATUSES,
    PRIORITIES,
    SATISFACTION,
    SOURCES,
    VISIBILITIES,
    next_level,
    text,
)

_NEXT_STATUS_OK: dict[str, frozenset[str]] = {
    "in_progress": frozenset({"new", "assigned", "pending_customer", "escalated"}),
    "pending_customer": frozenset({"new", "assigned", "in_progress", "escalated"}),
    "resolved": frozenset({"assigned", "in_progress", "pending_customer", "escalated"}),
}


def _personal(customer: tuple[str, str] | None, value: str) -> PersonalText | str:
    """A customer's ticket text is the customer's personal data (encrypted with their key,
    erased with them); an internal ticket's is not."""
    return value if customer is None else PersonalText(UUID(customer[0]), value)


class Ticket(Aggregate):
    """One support ticket of one reseller, from creation to closure."""

    class Opened(Aggregate.Created):
        reseller_number: int
        number: str
        source: str
        customer_id: str | None
        portal_id: str | None
        service_id: str | None
        invoice_id: str | None
        equipment: str | None
        subject: PersonalText | str
        problem_description: PersonalText | str
        category: str
        priority: str
        opened_at: datetime
        first_response_target_s: int
        resolution_target_s: int
        assignee: str | None
        queue: str | None
        routing_rule: int | None

    @event(Opened)
    def __init__(
        self,
        reseller_number: int,
        number: str,
        source: str,
        customer_id: str | None,
        portal_id: str | None,
        service_id: str | None,
        invoice_id: str | None,
        equipment: str | None,
        subject: PersonalText | str,
        problem_description: PersonalText | str,
        category: str,
        priority: str,
        opened_at: datetime,
        first_response_target_s: int,
        resolution_target_s: int,
        assignee: str | None,
        queue: str | None,
        routing_rule: int | None,
    ) -> None:
        self.reseller_number = reseller_number
        self.number = number
        self.source = source
        self.customer_id = customer_id
        self.portal_id = portal_id
        self.service_id = service_id
        self.invoice_id = invoice_id
        self.equipment = equipment
        self.subject = subject
        self.problem_description = problem_description
        self.category = category
        self.priority = priority
        self.opened_at = opened_at
        self.first_response_target_s = first_response_target_s
        self.resolution_target_s = resolution_target_s
        self.assignee = assignee
        self.queue = queue
        self.status = "assigned" if (assignee or queue) else "new"
        self.level = "level_1"
        self.messages: list[dict[str, Any]] = []
        self.pauses: list[list[datetime | None]] = []
        self.first_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.first_resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.satisfaction: int | None = None
        self.breaches: list[str] = []
        self.articles: list[str] = []

    @classmethod
    def open(
        cls,
        ticket_id: UUID,
        reseller_number: int,
        number: str,
        source: str,
        customer: tuple[str, str] | None,
        references: dict[str, str | None],
        subject: str,
        description: str,
        category: str,
        priority: str,
        categories: Sequence[str],
        at: datetime,
        targets_s: tuple[int, int],
        route: tuple[str | None, str | None, int | None],
    ) -> Ticket:
        """`customer` is (customer id, Portal ID); `route` is (assignee, queue, rule index)."""
        if source not in SOURCES:
            raise DomainError(f"source is one of {', '.join(SOURCES)}", field="source")
        if source == "internal" and customer is not None:
            raise DomainError("an internal ticket names no customer", field="portal_id")
        if source != "internal" and customer is None:
            raise DomainError("a customer's ticket names the customer", field="portal_id")
        if priority not in PRIORITIES:
            raise DomainError(f"priority is one of {', '.join(PRIORITIES)}", field="priority")
        if category not in categories:
            raise DomainError(f"category is one of {', '.join(categories)}", field="category")
        if customer is None and any(references.values()):
            raise DomainError("service and invoice references need a customer", field="portal_id")
        return cls._create(
            cls.Opened,
            id=ticket_id,
            reseller_number=reseller_number,
            number=number,
            source=source,
            customer_id=None if customer is None else customer[0],
            portal_id=None if customer is None else customer[1],
            service_id=references.get("service_id"),
            invoice_id=references.get("invoice_id"),
            equipment=references.get("equipment"),
            subject=_personal(customer, text(subject, "subject", MAX_SUBJECT)),
            problem_description=_personal(customer, text(description, "description")),
            category=category,
            priority=priority,
            opened_at=at,
            first_response_target_s=targets_s[0],
            resolution_target_s=targets_s[1],
            assignee=route[0],
            queue=route[1],
            routing_rule=route[2],
        )

    # -- reading -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_isp_queue(self) -> bool:
        return self.level in ISP_LEVELS

    def attachment(self, attachment_id: UUID) -> dict[str, Any] | None:
        for message in self.messages:
            for attachment in message["attachments"]:
                if attachment["attachment_id"] == str(attachment_id):
                    return dict(attachment)
        return None

    def pause_intervals(self) -> list[tuple[datetime, datetime | None]]:
        out: list[tuple[datetime, datetime | None]] = []
        for start, end in self.pauses:
            if start is not None:
                out.append((start, end))
        return out

    def _require_not_closed(self) -> None:
        if self.status == "closed":
            raise InvalidTransition("the ticket is closed (final)", field="status")

    def _require_open(self) -> None:
        if not self.is_open:
            raise InvalidTransition(f"the ticket is {self.status}", field="status")

    # -- status --------------------------------------------------------------------------

    class StatusChanged(Aggregate.Event):
        from_status: str
        to_status: str
        note: str | None
        at: datetime

    @event(StatusChanged)
    def _change_status(
        self, from_status: str, to_status: str, note: str | None, at: datetime
    ) -> None:
        if from_status == "pending_customer" and self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1] = [self.pauses[-1][0], at]
        if to_status == "pending_customer":
            self.pauses = [*self.pauses, [at, None]]
        self.status = to_status

    def change_status(self, to_status: str, note: str | None, at: datetime) -> None:
        """`in_progress` or `pending_customer` (resolving has its own method)."""
        if to_status not in ("in_progress", "pending_customer"):
            raise DomainError("status is in_progress or pending_customer here", field="status")
        self._require_not_closed()
        if self.status == to_status:
            return
        if self.status not in _NEXT_STATUS_OK[to_status]:
            raise InvalidTransition(
                f"a {self.status} ticket cannot become {to_status}", field="status"
            )
        self._change_status(
            self.status, to_status, None if note is None else text(note, "note"), at
        )

    # -- assignment ----------------------------------------------------------------------

    class Assigned(Aggregate.Event):
        assignee: str | None
        queue: str | None
        from_status: str
        to_status: str
        at: datetime

    @event(Assigned)
    def _assign(
        self,
        assignee: str | None,
        queue: str | None,
        from_status: str,
        to_status: str,
        at: datetime,
    ) -> None:
        self.assignee = assignee
        self.queue = queue
        self.status = to_status

    def assign(self, assignee: str | None, queue: str | None, at: datetime) -> None:
        self._require_open()
        if (assignee is None) == (queue is None):
            raise DomainError("assign to a team member or to a queue", field="assignee_user_id")
        to_status = "assigned" if self.status == "new" else self.status
        self._assign(assignee, queue, self.status, to_status, at)

    # -- conversation --------------------------------------------------------------------

    class MessageAdded(Aggregate.Event):
        message_id: str
        author: str
        author_kind: str
        visibility: str
        body: PersonalText | str
        attachments: list[dict[str, Any]]
        at: datetime

    @event(MessageAdded)
    def _add_message(
        self,
        message_id: str,
        author: str,
        author_kind: str,
        visibility: str,
        body: PersonalText | str,
        attachments: list[dict[str, Any]],
        at: datetime,
    ) -> None:
        self.messages = [
            *self.messages,
            {
                "message_id": message_id,
                "author": author,
                "author_kind": author_kind,
                "visibility": visibility,
                "body": body,
                "attachments": attachments,
                "at": at,
            },
        ]
        if visibility == "public" and author_kind != "customer" and self.first_response_at is None:
            self.first_response_at = at

    def add_message(
        self,
        message_id: UUID,
        author: str,
        author_kind: str,
        visibility: str,
        body: str,
        attachments: Sequence[Attachment],
        at: datetime,
        max_attachment_bytes: int,
    ) -> dict[str, Any]:
        """A reply (public) or an internal note. A customer's reply to a Pending Customer
        ticket sets it back to In Progress; a resolved ticket takes internal notes only."""
        self._require_not_closed()
        if author_kind not in AUTHOR_KINDS:
            raise ValueError("unknown author kind")
        if visibility not in VISIBILITIES:
            raise DomainError("visibility is public or internal", field="visibility")
        if author_kind == "customer" and visibility != "public":
            raise DomainError("a customer's message is public", field="visibility")
        if self.status == "resolved" and visibility == "public":
            raise InvalidTransition(
                "the ticket is resolved: reopen it to continue the conversation", field="status"
            )
        if len(self.messages) >= MAX_MESSAGES:
            raise DomainError(f"a ticket holds at most {MAX_MESSAGES} messages", field="body")
        if len(attachments) > MAX_ATTACHMENTS_PER_MESSAGE:
            raise DomainError(
                f"at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments per message",
                field="attachments",
            )
        existing = sum(len(m["attachments"]) for m in self.messages)
        if existing + len(attachments) > MAX_ATTACHMENTS:
            raise DomainError(
                f"a ticket holds at most {MAX_ATTACHMENTS} attachments", field="attachments"
            )
        recorded = []
        seen: set[str] = set()
        for index, attachment in enumerate(attachments):
            entry = attachment.record(
                self.id, message_id, f"attachments.{index}.", max_attachment_bytes
            )
            if entry["sha256"] in seen:
                raise DomainError(
                    "this file is attached twice", field=f"attachments.{index}.content_base64"
                )
            seen.add(entry["sha256"])
            recorded.append(entry)
        customer = None if self.customer_id is None else (self.customer_id, "")
        self._add_message(
            str(message_id),
            author,
            author_kind,
            visibility,
            _personal(customer, text(body, "body")),
            recorded,
            at,
        )
        if author_kind == "customer" and self.status == "pending_customer":
            self._change_status("pending_customer", "in_progress", "the customer replied", at)
        return dict(self.messages[-1])

    # -- escalation ----------------------------------------------------------------------

    class Escalated(Aggregate.Event):
        from_level: str
        to_level: str
        from_status: str
        to_status: str
        reason: str
        automatic: bool
        at: datetime

    @event(Escalated)
    def _escalate(
        self,
        from_level: str,
        to_level: str,
        from_status: str,
        to_status: str,
        reason: str,
        automatic: bool,
        at: datetime,
    ) -> None:
        if from_status == "pending_customer" and self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1] = [self.pauses[-1][0], at]
        self.level = to_level
        self.status = to_status

    def escalate(self, reason: str, at: datetime, by_isp: bool, automatic: bool = False) -> str:
        """One tier up; returns the new level."""
        self._require_open()
        target = next_level(self.level)
        if target is None:
            raise InvalidTransition("the ticket is already with ISP engineering", field="level")
        if target == "emergency" and not by_isp:
            raise InvalidTransition(
                "only the master ISP escalates to ISP engineering (emergency)", field="level"
            )
        self._escalate(
            self.level, target, self.status, "escalated", text(reason, "reason"), automatic, at
        )
        return target

    # -- resolution and closure ----------------------------------------------------------

    class Resolved(Aggregate.Event):
        from_status: str
        to_status: str
        resolution: str
        at: datetime

    @event(Resolved)
    def _resolve(self, from_status: str, to_status: str, resolution: str, at: datetime) -> None:
        if from_status == "pending_customer" and self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1] = [self.pauses[-1][0], at]
        self.status = to_status
        self.resolved_at = at
        if self.first_resolved_at is None:
            self.first_resolved_at = at

    def resolve(self, resolution: str, at: datetime) -> None:
        self._require_not_closed()
        if self.status not in _NEXT_STATUS_OK["resolved"]:
            raise InvalidTransition(
                f"a {self.status} ticket cannot be resolved; work on it first", field="status"
            )
        self._resolve(self.status, "resolved", text(resolution, "resolution"), at)

    class Reopened(Aggregate.Event):
        from_status: str
        to_status: str
        reason: str
        at: datetime

    @event(Reopened)
    def _reopen(self, from_status: str, to_status: str, reason: str, at: datetime) -> None:
        self.status = to_status
        self.resolved_at = None

    def reopen(self, reason: str, at: datetime, window_days: int) -> None:
        self._require_not_closed()
        if self.status != "resolved" or self.resolved_at is None:
            raise InvalidTransition("only a resolved ticket is reopened", field="status")
        if at > self.resolved_at + timedelta(days=window_days):
            raise InvalidTransition(
                f"the reopen window ({window_days} days after resolution) has passed",
                field="status",
            )
        self._reopen("resolved", "in_progress", text(reason, "reason"), at)

    class Closed(Aggregate.Event):
        from_status: str
        to_status: str
        how: str
        satisfaction: int | None
        comment: str | None
        at: datetime

    @event(Closed)
    def _close(
        self,
        from_status: str,
        to_status: str,
        how: str,
        satisfaction: int | None,
        comment: str | None,
        at: datetime,
    ) -> None:
        self.status = to_status
        self.closed_at = at
        self.satisfaction = satisfaction

    def confirm(self, satisfaction: int | None, comment: str | None, at: datetime) -> None:
        """The customer confirms the resolution (optionally scoring 1-5): closed."""
        self._require_not_closed()
        if self.status != "resolved":
            raise InvalidTransition("only a resolved ticket is confirmed", field="status")
        if satisfaction is not None and satisfaction not in SATISFACTION:
            raise DomainError("satisfaction is 1 to 5", field="satisfaction")
        self._close(
            "resolved",
            "closed",
            "confirmed",
            satisfaction,
            None if comment is None else text(comment, "comment"),
            at,
        )

    def auto_close_due(self, at: datetime, after_days: int) -> bool:
        return (
            self.status == "resolved"
            and self.resolved_at is not None
            and at >= self.resolved_at + timedelta(days=after_days)
        )

    def auto_close(self, at: datetime, after_days: int) -> bool:
        """Close a ticket resolved at least `after_days` ago; False when not due."""
        if not self.auto_close_due(at, after_days):
            return False
        self._close("resolved", "closed", "auto", None, None, at)
        return True

    # -- SLA -----------------------------------------------------------------------------

    class SlaBreached(Aggregate.Event):
        kind: str
        target_s: int
        at: datetime

    @event(SlaBreached)
    def _breach(self, kind: str, target_s: int, at: datetime) -> None:
        self.breaches = [*self.breaches, kind]

    def record_breach(self, kind: str, at: datetime) -> bool:
        """Record a breach of `kind` once; False if it was already recorded."""
        if kind in self.breaches:
            return False
        target = (
            self.first_response_target_s if kind == "first_response" else self.resolution_target_s
        )
        self._breach(kind, target, at)
        return True

    # -- knowledge base ------------------------------------------------------------------

    class ArticleLinked(Aggregate.Event):
        article_id: str
        at: datetime

    @event(ArticleLinked)
    def _link(self, article_id: str, at: datetime) -> None:
        self.articles = [*self.articles, article_id]

    def link_article(self, article_id: UUID, at: datetime) -> bool:
        self._require_not_closed()
        if str(article_id) in self.articles:
            return False
        if len(self.articles) >= MAX_ARTICLES:
            raise DomainError(f"at most {MAX_ARTICLES} linked articles", field="article_id")
        self._link(str(article_id), at)
        return True
