"""The knowledge base (seed §9.3): the master ISP's articles, inherited by every reseller,
plus each reseller's own; full-text search (PostgreSQL `tsvector`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import (
    READ_WAIT_MS,
    Context,
    ExactJSONRoute,
    ReadConnection,
    Services,
    command_response,
    parse_uuid,
    wait_until,
)
from api.schemas import PROBLEMS
from commands.support import knowledge_base as kb
from domain.access.roles import Permission
from projections.support.projector import SupportProjector
from projections.support.queries import search_articles

router = APIRouter(prefix="/reseller/api/kb", tags=["knowledge base"], route_class=ExactJSONRoute)


class ArticleOut(BaseModel):
    article_id: str
    owner: Literal["isp", "reseller"]
    reseller_id: int | None
    kind: kb.Kind
    category: str
    title: str
    body: str
    tags: list[str]
    version: int


class ArticleHit(ArticleOut):
    rank: float


@router.post(
    "/articles",
    status_code=201,
    response_model=ArticleOut,
    responses={**PROBLEMS, 201: {"model": ArticleOut}},
)
def publish(command: kb.PublishArticle, context: Context, s: Services) -> Response:
    """Publish an article: the reseller's own, or (the master ISP, no `reseller_id`) one that
    every reseller inherits."""
    return command_response(kb.publish(s.store, context, command))


@router.get("/articles", response_model=list[ArticleHit], responses=PROBLEMS)
def search(
    context: Context,
    s: Services,
    conn: ReadConnection,
    q: Annotated[str | None, Query(max_length=200, description="Web-search syntax")] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """Articles the reseller may read (the ISP's and its own), best match first."""
    principal = context.principal
    number = (
        None
        if principal.in_isp_realm and reseller_id is None
        else principal.reseller_in_scope(reseller_id)
    )
    principal.require(Permission.TICKET_MANAGE)
    if wait_for_position is not None:
        wait_until(s, conn, SupportProjector, wait_for_position, number, READ_WAIT_MS)
    limit = min(limit, s.config.page_size_max)
    return search_articles(conn, number, q, category, limit, offset)


@router.get("/articles/{article_id}", response_model=ArticleOut, responses=PROBLEMS)
def article(article_id: str, context: Context, s: Services) -> dict[str, Any]:
    found = kb.article_in_scope(s.store, context, parse_uuid(article_id, "article"))
    context.principal.require(Permission.TICKET_MANAGE)
    return found.view()


@router.put("/articles/{article_id}", response_model=ArticleOut, responses=PROBLEMS)
def revise(article_id: str, command: kb.ReviseArticle, context: Context, s: Services) -> Response:
    return command_response(kb.revise(s.store, context, parse_uuid(article_id, "article"), command))
