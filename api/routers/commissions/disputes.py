"""Seed §5.3 commission disputes: submit with documents, review, escalate, resolve, and read
each dispute with its history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

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
from api.routers.commissions.schemas import DisputeOut
from api.schemas import BINARY_FILE, PROBLEMS
from commands.commissions import disputes
from commands.errors import NotFound
from domain.access.roles import Permission
from projections.commissions.disputes import DisputesProjector, get_dispute, list_disputes

router = APIRouter(
    prefix="/reseller/api/commissions/disputes", tags=["disputes"], route_class=ExactJSONRoute
)
Status = Literal["submitted", "under_review", "escalated", "accepted", "rejected"]


@router.post("", status_code=201, response_model=DisputeOut, responses=PROBLEMS)
def submit(command: disputes.SubmitDispute, context: Context, s: Services) -> Response:
    """Dispute approved commission records within 5 business days of their approval, with the
    base each should have had, a reason and (base64) supporting documents."""
    return command_response(disputes.submit_dispute(s.store, context, command, s.config.disputes))


@router.get("", responses=PROBLEMS)
def disputes_list(
    context: Context,
    s: Services,
    conn: ReadConnection,
    status: Status | None = None,
    commission_id: str | None = None,
    reseller_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> list[dict[str, Any]]:
    """The reseller's disputes (filters: status, commission)."""
    number = context.principal.reseller_in_scope(reseller_id)
    context.principal.require(Permission.BILLING_VIEW)
    wait_until(s, conn, DisputesProjector, wait_for_position, number, READ_WAIT_MS)
    target = None if commission_id is None else str(parse_uuid(commission_id, "commission"))
    limit = min(limit, s.config.page_size_max)
    return list_disputes(conn, number, status, target, limit, offset)


@router.get("/{dispute_id}", responses=PROBLEMS)
def dispute(
    dispute_id: str,
    context: Context,
    s: Services,
    conn: ReadConnection,
    wait_for_position: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """One dispute: its records, documents, history (each step with actor and time) and the
    interest owed so far."""
    uid = str(parse_uuid(dispute_id, "dispute"))
    if wait_for_position is not None:
        wait_until(s, conn, DisputesProjector, wait_for_position, None, READ_WAIT_MS)
    view = get_dispute(conn, uid)
    if view is None:
        raise NotFound("dispute not found", field="dispute_id")
    context.principal.reseller_in_scope(view["reseller_id"])
    context.principal.require(Permission.BILLING_VIEW)
    view["interest"] = disputes.interest_so_far(
        view["status"],
        Decimal(view["claimed_amount"]),
        None if view["interest_amount"] is None else Decimal(view["interest_amount"]),
        view["currency"],
        date.fromisoformat(view["review_due_on"]),
        context.received_at.date(),
        s.config.disputes,
    )
    return view


@router.post(
    "/{dispute_id}/documents", status_code=201, response_model=DisputeOut, responses=PROBLEMS
)
def add_document(
    dispute_id: str, upload: disputes.DocumentUpload, context: Context, s: Services
) -> Response:
    """Attach a further supporting document (base64) to an open dispute."""
    uid = parse_uuid(dispute_id, "dispute")
    result = disputes.add_document(s.store, context, uid, upload, s.config.disputes)
    return command_response(result)


@router.get(
    "/{dispute_id}/documents/{document_id}",
    response_class=Response,
    responses=BINARY_FILE,
)
def download_document(dispute_id: str, document_id: str, context: Context, s: Services) -> Response:
    """The document's bytes; `X-Content-SHA256` is the hash its event recorded."""
    document = disputes.dispute_document(
        s.store,
        context,
        parse_uuid(dispute_id, "dispute"),
        parse_uuid(document_id, "document"),
    )
    return Response(
        document.content,
        media_type=document.content_type,
        headers={
            "X-Content-SHA256": document.sha256,
            "Content-Disposition": f'attachment; filename="{document.filename}"',
        },
    )


@router.post("/{dispute_id}/review", response_model=DisputeOut, responses=PROBLEMS)
def review(
    dispute_id: str, command: disputes.StartReview, context: Context, s: Services
) -> Response:
    """The master ISP takes the dispute under review."""
    uid = parse_uuid(dispute_id, "dispute")
    return command_response(
        disputes.start_review(s.store, context, uid, command, s.config.disputes)
    )


@router.post("/{dispute_id}/complex", response_model=DisputeOut, responses=PROBLEMS)
def complex_case(
    dispute_id: str, command: disputes.MarkComplex, context: Context, s: Services
) -> Response:
    """The master ISP marks the dispute complex: review due up to 30 days after submission."""
    uid = parse_uuid(dispute_id, "dispute")
    return command_response(
        disputes.mark_complex(s.store, context, uid, command, s.config.disputes)
    )


@router.post("/{dispute_id}/escalate", response_model=DisputeOut, responses=PROBLEMS)
def escalate(
    dispute_id: str, command: disputes.Escalate, context: Context, s: Services
) -> Response:
    """Escalate to the master ISP's management (the reseller or the ISP; once)."""
    uid = parse_uuid(dispute_id, "dispute")
    return command_response(disputes.escalate(s.store, context, uid, command, s.config.disputes))


@router.post("/{dispute_id}/resolve", response_model=DisputeOut, responses=PROBLEMS)
def resolve(dispute_id: str, command: disputes.Resolve, context: Context, s: Services) -> Response:
    """Accept (one adjustment per record, plus interest when late) or reject (records back to
    approved). The same decision again changes nothing."""
    uid = parse_uuid(dispute_id, "dispute")
    return command_response(disputes.resolve(s.store, context, uid, command, s.config.disputes))
