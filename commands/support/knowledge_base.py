"""Knowledge-base articles: the master ISP publishes articles every reseller inherits; a
reseller publishes its own. Publishing needs `ticket_manage`."""

from __future__ import annotations

import uuid
from typing import Literal
from uuid import UUID

from pydantic import Field

from commands.errors import NotFound
from commands.models import CommandModel
from commands.partners.resellers import tenant_of
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from commands.support.common import categories_of
from domain.access.roles import Permission
from domain.support.knowledge_base import MAX_BODY, MAX_TAGS, MAX_TITLE, Article

Kind = Literal[
    "article", "troubleshooting_guide", "service_documentation", "common_solution", "video_tutorial"
]


class PublishArticle(CommandModel):
    reseller_id: int | None = Field(
        default=None,
        ge=1,
        description="The reseller whose article it is; the master ISP leaves it out to publish "
        "an article every reseller inherits",
    )
    kind: Kind = "article"
    category: str = Field(min_length=1, max_length=50, examples=["technical"])
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)


class ReviseArticle(CommandModel):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)


def publish(store: Store, context: RequestContext, command: PublishArticle) -> CommandResult:
    principal = context.principal
    number = (
        None
        if principal.in_isp_realm and command.reseller_id is None
        else principal.reseller_in_scope(command.reseller_id)
    )
    principal.require(Permission.TICKET_MANAGE)

    def handle() -> Outcome:
        article = Article.publish(
            uuid.uuid4(),
            number,
            command.kind,
            command.category,
            categories_of(store).names,
            command.title,
            command.body,
            command.tags,
        )
        tenant = 0 if number is None else tenant_of(store, number)
        return Outcome([article], article.view(), tenant, number, 201)

    return run_command(
        store, context, handle, fingerprint("kb_publish", number, command.model_dump())
    )


def article_in_scope(store: Store, context: RequestContext, article_id: UUID) -> Article:
    """An article the caller may read: the ISP's, or one of a reseller in reach."""
    article = load(store, article_id, Article, "article")
    if article.reseller_number is not None:
        context.principal.reseller_in_scope(article.reseller_number)
    elif not context.principal.in_isp_realm and context.principal.reseller_number is None:
        raise NotFound("article not found")
    return article


def revise(
    store: Store, context: RequestContext, article_id: UUID, command: ReviseArticle
) -> CommandResult:
    def handle() -> Outcome:
        article = article_in_scope(store, context, article_id)
        context.principal.require(Permission.TICKET_MANAGE)
        number = article.reseller_number
        if number is None and not context.principal.in_isp_realm:
            from commands.errors import Forbidden

            raise Forbidden("the master ISP's articles are the ISP's to revise")
        article.revise(command.title, command.body, command.tags)
        tenant = 0 if number is None else tenant_of(store, number)
        return Outcome([article], article.view(), tenant, number)

    return run_command(
        store, context, handle, fingerprint("kb_revise", article_id, command.model_dump())
    )
