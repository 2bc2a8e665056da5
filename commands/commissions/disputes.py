"""Commission disputes (seed §5.3): submission by the reseller, review, escalation and
resolution by the master ISP. The rules live in `domain.commissions.disputes`.

Who may do what: a reseller's admins and managers (`commission_dispute`) submit disputes, add
documents and escalate; the master ISP (`reseller_manage`) takes a dispute under review, marks
it complex and resolves it (and may also escalate). Reading needs `billing_view`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from commands.errors import Conflict, NotFound, Unprocessable
from commands.models import Amount, ApiDate, CommandModel, MediaType, UploadFilename, money
from commands.partners.resellers import tenant_of
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access.roles import Permission
from domain.commissions.disputes import (
    MAX_DOCUMENTS,
    MAX_ITEMS,
    MAX_TEXT,
    RESOLVED,
    Dispute,
    Document,
    late_interest,
)
from domain.commissions.records import Commission
from domain.ledger.calendar import WEEKENDS_ONLY, BusinessCalendar, calendar_for
from domain.partners.reseller import Reseller, reseller_id

MAX_DOCUMENT_BYTES_LIMIT = 10_485_760
RELOADS = 3


@dataclass(frozen=True, slots=True)
class DisputeConfig:
    interest_rate_percent: Decimal = Decimal("5.00")
    """Annual simple interest on an accepted dispute resolved after its due date."""
    max_document_bytes: int = 49_152
    """Largest supporting document (decoded); base64 in JSON makes a request ~4/3 bigger."""
    holiday_calendars: bool = False
    """Count the dispute window and review due dates on the reseller's country's holidays too
    (LEDGER_BUSINESS_DAY_HOLIDAYS); off, weekends only, as every recorded date so far."""

    def calendar_of(self, store: Store, reseller_number: int) -> BusinessCalendar:
        if not self.holiday_calendars:
            return WEEKENDS_ONLY
        reseller = load(store, reseller_id(reseller_number), Reseller, "reseller")
        return calendar_for(reseller.country)


class DisputeItem(CommandModel):
    commission_id: UUID = Field(strict=False)
    corrected_base_amount: Amount = Field(
        description="The base the commission should have been calculated on", examples=["119.99"]
    )


class DocumentUpload(CommandModel):
    filename: UploadFilename = Field(examples=["invoice.pdf"])
    content_type: MediaType = Field(
        default="application/octet-stream", examples=["application/pdf"]
    )
    content_base64: str = Field(
        min_length=1, max_length=MAX_DOCUMENT_BYTES_LIMIT * 4 // 3 + 4, description="Base64"
    )


class SubmitDispute(CommandModel):
    reseller_id: int | None = Field(default=None, ge=1)
    items: list[DisputeItem] = Field(min_length=1, max_length=MAX_ITEMS)
    reason: str = Field(min_length=1, max_length=MAX_TEXT)
    documents: list[DocumentUpload] = Field(default_factory=list, max_length=MAX_DOCUMENTS)


class StartReview(CommandModel):
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class MarkComplex(CommandModel):
    review_due_on: ApiDate
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class Escalate(CommandModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class Resolve(CommandModel):
    decision: Literal["accepted", "rejected"]
    note: str = Field(min_length=1, max_length=MAX_TEXT)


def _decode(upload: DocumentUpload, field: str) -> Document:
    try:
        content = base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Unprocessable("not valid base64", field=f"{field}content_base64") from None
    return Document(upload.filename, upload.content_type, content)


def submit_dispute(
    store: Store, context: RequestContext, command: SubmitDispute, config: DisputeConfig
) -> CommandResult:
    number = context.principal.reseller_in_scope(command.reseller_id)
    context.principal.require(Permission.COMMISSION_DISPUTE)
    documents = [_decode(d, f"documents.{i}.") for i, d in enumerate(command.documents)]
    today = context.received_at.date()

    def handle() -> Outcome:
        claims = []
        for index, item in enumerate(command.items):
            record = _record_of(store, item.commission_id, number, f"items.{index}.commission_id")
            corrected = money(
                item.corrected_base_amount,
                record.base_amount.currency,
                field=f"items.{index}.corrected_base_amount",
            )
            claims.append((record, corrected))
        dispute = Dispute.submit(
            uuid.uuid4(),
            number,
            claims,
            command.reason,
            documents,
            today,
            config.max_document_bytes,
            config.calendar_of(store, number),
        )
        return Outcome(
            [dispute, *(record for record, _ in claims)],
            dispute_view(dispute, today, config),
            tenant_of(store, number),
            number,
            status_code=201,
        )

    return run_command(
        store, context, handle, fingerprint("submit_dispute", number, command.model_dump())
    )


def _record_of(store: Store, commission_id: UUID, number: int, field: str) -> Commission:
    """A commission record of this reseller; any other (or none) is not found."""
    try:
        record = load(store, commission_id, Commission, "commission")
    except NotFound:
        raise NotFound("commission not found", field=field) from None
    if record.reseller_number != number:
        raise NotFound("commission not found", field=field)
    return record


def _dispute_in_scope(store: Store, context: RequestContext, dispute_id: UUID) -> Dispute:
    dispute = load(store, dispute_id, Dispute, "dispute")
    context.principal.reseller_in_scope(dispute.reseller_number)
    return dispute


def _on_dispute(
    store: Store,
    context: RequestContext,
    dispute_id: UUID,
    permission: Permission,
    act: Callable[[Dispute, date], object],
    request_fingerprint: str,
    config: DisputeConfig,
    status_code: int = 200,
) -> CommandResult:
    today = context.received_at.date()

    def handle() -> Outcome:
        dispute = _dispute_in_scope(store, context, dispute_id)
        context.principal.require(permission)
        act(dispute, today)
        number = dispute.reseller_number
        return Outcome(
            [dispute],
            dispute_view(dispute, today, config),
            tenant_of(store, number),
            number,
            status_code,
        )

    return run_command(store, context, handle, request_fingerprint)


def add_document(
    store: Store,
    context: RequestContext,
    dispute_id: UUID,
    upload: DocumentUpload,
    config: DisputeConfig,
) -> CommandResult:
    document = _decode(upload, "")
    return _on_dispute(
        store,
        context,
        dispute_id,
        Permission.COMMISSION_DISPUTE,
        lambda dispute, _: dispute.add_document(document, config.max_document_bytes),
        fingerprint("dispute_document", dispute_id, document.sha256, upload.filename),
        config,
        201,
    )


def start_review(
    store: Store,
    context: RequestContext,
    dispute_id: UUID,
    command: StartReview,
    config: DisputeConfig,
) -> CommandResult:
    return _on_dispute(
        store,
        context,
        dispute_id,
        Permission.RESELLER_MANAGE,
        lambda dispute, today: dispute.start_review(today, command.note),
        fingerprint("dispute_review", dispute_id, command.model_dump()),
        config,
    )


def mark_complex(
    store: Store,
    context: RequestContext,
    dispute_id: UUID,
    command: MarkComplex,
    config: DisputeConfig,
) -> CommandResult:
    return _on_dispute(
        store,
        context,
        dispute_id,
        Permission.RESELLER_MANAGE,
        lambda dispute, today: dispute.mark_complex(
            command.review_due_on,
            command.reason,
            today,
            config.calendar_of(store, dispute.reseller_number),
        ),
        fingerprint("dispute_complex", dispute_id, command.model_dump()),
        config,
    )


def escalate(
    store: Store,
    context: RequestContext,
    dispute_id: UUID,
    command: Escalate,
    config: DisputeConfig,
) -> CommandResult:
    return _on_dispute(
        store,
        context,
        dispute_id,
        Permission.COMMISSION_DISPUTE,
        lambda dispute, today: dispute.escalate(command.reason, today),
        fingerprint("dispute_escalate", dispute_id, command.model_dump()),
        config,
    )


def resolve(
    store: Store,
    context: RequestContext,
    dispute_id: UUID,
    command: Resolve,
    config: DisputeConfig,
) -> CommandResult:
    """Accept or reject. Resolving again with the same decision changes nothing and answers
    the dispute as it is (so a retry, or the loser of a concurrent race, pays nothing twice);
    the other decision is a conflict."""
    today = context.received_at.date()

    def handle() -> Outcome:
        for _ in range(RELOADS):
            dispute = _dispute_in_scope(store, context, dispute_id)
            context.principal.require(Permission.RESELLER_MANAGE)
            records = [load(store, c, Commission, "commission") for c in dispute.commission_ids]
            # Records loaded after a concurrent resolution committed are ahead of the dispute
            # loaded before it: load both again, so the dispute is seen resolved.
            if dispute.status in RESOLVED or all(r.status == "disputed" for r in records):
                break
        else:
            raise Conflict("the dispute changed concurrently; try again")
        number = dispute.reseller_number
        view = dispute_view(dispute, today, config)
        if dispute.status in RESOLVED:
            if dispute.decision != command.decision:
                raise Conflict(f"the dispute was already {dispute.decision}", field="decision")
            return Outcome([], view, tenant_of(store, number), number)
        created = dispute.resolve(
            command.decision, command.note, records, today, config.interest_rate_percent
        )
        return Outcome(
            [dispute, *records, *created],
            dispute_view(dispute, today, config),
            tenant_of(store, number),
            number,
        )

    return run_command(
        store, context, handle, fingerprint("dispute_resolve", dispute_id, command.model_dump())
    )


@dataclass(frozen=True, slots=True)
class DocumentContent:
    filename: str
    content_type: str
    sha256: str
    content: bytes


def dispute_document(
    store: Store, context: RequestContext, dispute_id: UUID, document_id: UUID
) -> DocumentContent:
    """A supporting document's bytes, straight from the event store, checked against the
    SHA-256 its event recorded."""
    dispute = _dispute_in_scope(store, context, dispute_id)
    context.principal.require(Permission.BILLING_VIEW)
    recorded = dispute.document(document_id)
    if recorded is None:
        raise NotFound("document not found", field="document_id")
    content = base64.b64decode(recorded["content_base64"])
    if hashlib.sha256(content).hexdigest() != recorded["sha256"]:
        raise RuntimeError(f"document {document_id} does not match its recorded hash")
    return DocumentContent(
        recorded["filename"], recorded["content_type"], recorded["sha256"], content
    )


def interest_so_far(
    status: str,
    claimed_total: Decimal,
    recorded_interest: Decimal | None,
    currency: str,
    review_due_on: date,
    today: date,
    config: DisputeConfig,
) -> dict[str, Any]:
    """Interest owed on a dispute: what was recorded when it was resolved, or, while it is
    open, what accepting it today would add (it grows each day past the due date)."""
    if status in RESOLVED:
        amount = recorded_interest if recorded_interest is not None else Decimal(0)
        return {"amount": str(amount), "as_of": None, "final": True}
    interest, days = late_interest(
        money(claimed_total, currency), config.interest_rate_percent, review_due_on, today
    )
    return {
        "amount": str(interest.amount),
        "days_late": days,
        "annual_rate_percent": str(config.interest_rate_percent),
        "as_of": today.isoformat(),
        "final": False,
    }


def dispute_view(dispute: Dispute, today: date, config: DisputeConfig) -> dict[str, Any]:
    return {
        "dispute_id": str(dispute.id),
        "reseller_id": dispute.reseller_number,
        "status": dispute.status,
        "currency": dispute.currency,
        "reason": dispute.reason,
        "submitted_on": dispute.submitted_on.isoformat(),
        "review_due_on": dispute.review_due_on.isoformat(),
        "complex": dispute.complex,
        "escalated": dispute.escalated,
        "decision": dispute.decision,
        "resolved_on": None if dispute.resolved_on is None else dispute.resolved_on.isoformat(),
        "claimed_amount": str(dispute.claimed_total.amount),
        "items": [
            {
                "commission_id": item["commission_id"],
                "recorded_base_amount": str(item["recorded_base"]),
                "corrected_base_amount": str(item["corrected_base"]),
                "claimed_adjustment": str(item["claimed_adjustment"]),
            }
            for item in dispute.items
        ],
        "documents": [
            {k: d[k] for k in ("document_id", "filename", "content_type", "size_bytes", "sha256")}
            for d in dispute.documents
        ],
        "interest": interest_so_far(
            dispute.status,
            dispute.claimed_total.amount,
            dispute.interest.amount,
            dispute.currency,
            dispute.review_due_on,
            today,
            config,
        ),
        "version": dispute.version,
    }
