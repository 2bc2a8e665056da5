"""API tokens: issue (the secret shown once), list (never the secrets) and revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import Context, ExactJSONRoute, Services, command_response, parse_uuid
from api.routers.access.params import ResellerFilter
from api.routers.access.schemas import TokenRevokedOut
from api.schemas import PROBLEMS, TokenOut
from commands.access.tokens import IssueToken, issue_token, list_tokens, revoke_token

router = APIRouter(prefix="/reseller/api", route_class=ExactJSONRoute)


@router.post(
    "/tokens", status_code=201, response_model=TokenOut, responses=PROBLEMS, tags=["resellers"]
)
def issue(command: IssueToken, context: Context, services: Services) -> Response:
    """Issue an API token. The secret is shown in this response only."""
    return command_response(issue_token(services.store, context, command))


@router.get("/tokens", responses=PROBLEMS, tags=["users"])
def tokens(
    context: Context,
    services: Services,
    reseller_id: ResellerFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[dict[str, Any]]:
    """API tokens, newest first (never their secrets): every token of the reseller for a
    `token_issue` holder, otherwise the ones you issued."""
    return list_tokens(services.store, context, reseller_id, limit, offset)


@router.delete(
    "/tokens/{token_id}", response_model=TokenRevokedOut, responses=PROBLEMS, tags=["users"]
)
def revoke(token_id: str, context: Context, services: Services) -> Response:
    return command_response(revoke_token(services.store, context, parse_uuid(token_id, "token")))
