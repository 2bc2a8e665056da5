"""Knowledge-base articles (seed §9.3): troubleshooting guides, service documentation,
common solutions. The master ISP's articles (no reseller) are inherited by every reseller;
a reseller's own articles are its alone (and its sub-resellers' don't leak upwards or
sideways)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.support.ticket_terms import text

KINDS = (
    "article",
    "troubleshooting_guide",
    "service_documentation",
    "common_solution",
    "video_tutorial",
)
MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TAGS = 20


def _tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise DomainError(f"at most {MAX_TAGS} tags", field="tags")
    return sorted({text(t, "tags", 50).lower() for t in tags})


class Article(Aggregate):
    class Published(Aggregate.Created):
        reseller_number: int | None
        kind: str
        category: str
        title: str
        body: str
        tags: list[str]

    @event(Published)
    def __init__(
        self,
        reseller_number: int | None,
        kind: str,
        category: str,
        title: str,
        body: str,
        tags: list[str],
    ) -> None:
        self.reseller_number = reseller_number
        self.kind = kind
        self.category = category
        self.title = title
        self.body = body
        self.tags = tags
        self.withdrawn = False

    @classmethod
    def publish(
        cls,
        article_id: UUID,
        reseller_number: int | None,
        kind: str,
        category: str,
        categories: list[str],
        title: str,
        body: str,
        tags: list[str],
    ) -> Article:
        """`reseller_number` None: the master ISP's article, inherited by every reseller."""
        if kind not in KINDS:
            raise DomainError(f"kind is one of {', '.join(KINDS)}", field="kind")
        if category not in categories:
            raise DomainError(f"category is one of {', '.join(categories)}", field="category")
        return cls._create(
            cls.Published,
            id=article_id,
            reseller_number=reseller_number,
            kind=kind,
            category=category,
            title=text(title, "title", MAX_TITLE),
            body=text(body, "body", MAX_BODY),
            tags=_tags(tags),
        )

    def visible_to(self, reseller_number: int) -> bool:
        return not self.withdrawn and self.reseller_number in (None, reseller_number)

    class Revised(Aggregate.Event):
        title: str
        body: str
        tags: list[str]

    @event(Revised)
    def _revise(self, title: str, body: str, tags: list[str]) -> None:
        self.title = title
        self.body = body
        self.tags = tags

    def revise(self, title: str, body: str, tags: list[str]) -> None:
        if self.withdrawn:
            raise DomainError("the article is withdrawn", field="article_id")
        self._revise(text(title, "title", MAX_TITLE), text(body, "body", MAX_BODY), _tags(tags))

    def view(self) -> dict[str, Any]:
        return {
            "article_id": str(self.id),
            "owner": "isp" if self.reseller_number is None else "reseller",
            "reseller_id": self.reseller_number,
            "kind": self.kind,
            "category": self.category,
            "title": self.title,
            "body": self.body,
            "tags": list(self.tags),
            "version": self.version,
        }
