"""Commission disputes (seed §5.3 "Commission Dispute Resolution").

A reseller disputes one or more of its approved commission records online, with a reason, the
base each record should have been calculated on and supporting documents. Rules:

- The dispute window is 5 business days (Monday to Friday; public holidays are not skipped,
  since they differ by country) counted from the business day the record was approved: a record
  approved on a Thursday may be disputed up to and including the next Thursday.
- Disputing moves each record to `disputed`, so payouts leave it alone.
- The claim must be in the reseller's favour: the corrected base must raise the commission.
- Review: a standard dispute is due 10 business days after submission; the ISP may mark it
  complex with a later due date, at most 30 days after submission. Either side may escalate it
  (once) to the master ISP's management.
- Resolution: accepted -> one approved adjustment record per disputed record (deterministic ids,
  so resolving twice cannot pay twice) and each original `adjusted`; rejected -> each record
  back to `approved`. Accepted after the due date -> simple interest on the adjustment total at
  an annual rate, actual/365, for each day from the due date to the resolution date, rounded
  down to the minor unit once, recorded as an approved record of type `interest`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commissions.records import Commission
from domain.ledger.calendar import WEEKENDS_ONLY, BusinessCalendar, add_business_days
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.ids import derived_id
from domain.ledger.money import Money, round_down

WINDOW_BUSINESS_DAYS = 5
STANDARD_REVIEW_BUSINESS_DAYS = 10
COMPLEX_REVIEW_MAX_DAYS = 30
DAYS_PER_YEAR = Decimal(365)
MAX_ITEMS = 50
MAX_DOCUMENTS = 5
MAX_TEXT = 2_000
OPEN = ("submitted", "under_review", "escalated")
RESOLVED = ("accepted", "rejected")
ESCALATED_TO = "master_isp_management"


def window_closes(approved_on: date, calendar: BusinessCalendar = WEEKENDS_ONLY) -> date:
    """The last day a record approved on `approved_on` may be disputed."""
    return add_business_days(approved_on, WINDOW_BUSINESS_DAYS, calendar)


def standard_review_due(submitted_on: date, calendar: BusinessCalendar = WEEKENDS_ONLY) -> date:
    return add_business_days(submitted_on, STANDARD_REVIEW_BUSINESS_DAYS, calendar)


def late_interest(
    principal: Money, annual_rate_percent: Decimal, due_on: date, on: date
) -> tuple[Money, int]:
    """Simple interest, actual/365, for the days after `due_on` up to `on`, rounded down once;
    with the number of days. Nothing accrues on or before the due date."""
    days = max(0, (on - due_on).days)
    if days == 0 or not principal.is_positive or annual_rate_percent <= 0:
        return Money.zero(principal.currency), days
    raw = principal.amount * annual_rate_percent / Decimal(100) * days / DAYS_PER_YEAR
    return round_down(raw, principal.currency), days


@dataclass(frozen=True, slots=True)
class Document:
    """A supporting document as uploaded; its SHA-256 is what the events record."""

    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def record(self, dispute_id: UUID, field: str, max_bytes: int) -> dict[str, Any]:
        if not self.content:
            raise DomainError("a document may not be empty", field=f"{field}content_base64")
        if len(self.content) > max_bytes:
            raise DomainError(
                f"a document is at most {max_bytes} bytes", field=f"{field}content_base64"
            )
        return {
            "document_id": str(derived_id("dispute-document", dispute_id, self.sha256)),
            "filename": self.filename,
            "content_type": self.content_type,
            "size_bytes": len(self.content),
            "sha256": self.sha256,
            "content_base64": base64.b64encode(self.content).decode("ascii"),
        }


def adjustment_id(dispute_id: UUID, commission_id: UUID) -> UUID:
    return derived_id("dispute-adjustment", dispute_id, commission_id)


def interest_id(dispute_id: UUID) -> UUID:
    return derived_id("dispute-interest", dispute_id)


def _text(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_TEXT:
        raise DomainError(f"{field} must be 1-{MAX_TEXT} characters", field=field)
    return value


class Dispute(Aggregate):
    """One dispute of a reseller's commission records, from submission to resolution."""

    class Submitted(Aggregate.Created):
        reseller_number: int
        currency: str
        items: list[dict[str, Any]]
        reason: str
        submitted_on: date
        review_due_on: date
        documents: list[dict[str, Any]]

    @event(Submitted)
    def __init__(
        self,
        reseller_number: int,
        currency: str,
        items: list[dict[str, Any]],
        reason: str,
        submitted_on: date,
        review_due_on: date,
        documents: list[dict[str, Any]],
    ) -> None:
        self.reseller_number = reseller_number
        self.currency = currency
        self.items = items
        self.reason = reason
        self.submitted_on = submitted_on
        self.review_due_on = review_due_on
        self.documents = documents
        self.status = "submitted"
        self.complex = False
        self.escalated = False
        self.decision: str | None = None
        self.resolved_on: date | None = None
        self.interest = Money.zero(currency)

    @classmethod
    def submit(
        cls,
        dispute_id: UUID,
        reseller_number: int,
        claims: Sequence[tuple[Commission, Money]],
        reason: str,
        documents: Sequence[Document],
        on: date,
        max_document_bytes: int,
        calendar: BusinessCalendar = WEEKENDS_ONLY,
    ) -> Dispute:
        """Open a dispute of `claims` (each record with the base it should have had) and move
        each record to `disputed`. Windows and due dates count business days on `calendar`."""
        reason = _text(reason, "reason")
        if not 1 <= len(claims) <= MAX_ITEMS:
            raise DomainError(f"a dispute names 1-{MAX_ITEMS} commission records", field="items")
        if len(documents) > MAX_DOCUMENTS:
            raise DomainError(f"at most {MAX_DOCUMENTS} documents", field="documents")
        currency = claims[0][0].commission_amount.currency
        items = []
        seen: set[UUID] = set()
        for index, (record, corrected_base) in enumerate(claims):
            field = f"items.{index}"
            if record.id in seen:
                raise DomainError("a record is named twice", field=f"{field}.commission_id")
            seen.add(record.id)
            if record.reseller_number != reseller_number:
                raise DomainError(
                    "the record belongs to another reseller", field=f"{field}.commission_id"
                )
            if record.commission_amount.currency != currency:
                raise DomainError("one dispute, one currency", field=f"{field}.commission_id")
            if record.status != "approved":
                raise DomainError(
                    f"only approved records may be disputed; this one is {record.status}",
                    field=f"{field}.commission_id",
                )
            if record.approved_on is None or record.adjusts is not None:
                raise DomainError(
                    "this record is not disputable (an adjustment or interest record)",
                    field=f"{field}.commission_id",
                )
            closes = window_closes(record.approved_on, calendar)
            if on > closes:
                raise DomainError(
                    f"the dispute window closed on {closes.isoformat()} (5 business days after"
                    f" approval on {record.approved_on.isoformat()})",
                    field=f"{field}.commission_id",
                )
            if corrected_base.currency != currency:
                raise DomainError(
                    "the corrected base must be in the record's currency",
                    field=f"{field}.corrected_base_amount",
                )
            claimed = record.adjustment_for(corrected_base)
            if not claimed.is_positive:
                raise DomainError(
                    "the corrected base must raise the commission (a claim in your favour)",
                    field=f"{field}.corrected_base_amount",
                )
            items.append(
                {
                    "commission_id": str(record.id),
                    "recorded_base": record.base_amount.amount,
                    "corrected_base": corrected_base.amount,
                    "commission_rate": record.commission_rate,
                    "recorded_amount": record.commission_amount.amount,
                    "claimed_adjustment": claimed.amount,
                }
            )
        recorded_documents = _documents(dispute_id, documents, [], max_document_bytes)
        dispute = cls._create(
            cls.Submitted,
            id=dispute_id,
            reseller_number=reseller_number,
            currency=currency,
            items=items,
            reason=reason,
            submitted_on=on,
            review_due_on=standard_review_due(on, calendar),
            documents=recorded_documents,
        )
        for record, _ in claims:
            record.dispute(f"dispute {dispute_id}", on)
        return dispute

    @property
    def commission_ids(self) -> list[UUID]:
        return [UUID(item["commission_id"]) for item in self.items]

    @property
    def claimed_total(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.items:
            total += Money.of(item["claimed_adjustment"], self.currency)
        return total

    def document(self, document_id: UUID) -> dict[str, Any] | None:
        return next((d for d in self.documents if d["document_id"] == str(document_id)), None)

    def _require_open(self) -> None:
        if self.status not in OPEN:
            raise InvalidTransition(f"the dispute is already {self.status}", field="status")

    class DocumentAdded(Aggregate.Event):
        document: dict[str, Any]

    @event(DocumentAdded)
    def _add_document(self, document: dict[str, Any]) -> None:
        self.documents = [*self.documents, document]

    def add_document(self, document: Document, max_document_bytes: int) -> dict[str, Any]:
        self._require_open()
        (recorded,) = _documents(self.id, [document], self.documents, max_document_bytes, "")
        self._add_document(recorded)
        return recorded

    class ReviewStarted(Aggregate.Event):
        on: date
        note: str | None

    @event(ReviewStarted)
    def _start_review(self, on: date, note: str | None) -> None:
        self.status = "under_review"

    def start_review(self, on: date, note: str | None) -> None:
        if self.status != "submitted":
            raise InvalidTransition(
                f"only a submitted dispute is taken under review; this one is {self.status}",
                field="status",
            )
        self._start_review(on, None if note is None else _text(note, "note"))

    class MarkedComplex(Aggregate.Event):
        review_due_on: date
        reason: str

    @event(MarkedComplex)
    def _mark_complex(self, review_due_on: date, reason: str) -> None:
        self.complex = True
        self.review_due_on = review_due_on

    def mark_complex(
        self,
        review_due_on: date,
        reason: str,
        today: date,
        calendar: BusinessCalendar = WEEKENDS_ONLY,
    ) -> None:
        self._require_open()
        latest = self.submitted_on + timedelta(days=COMPLEX_REVIEW_MAX_DAYS)
        if review_due_on > latest:
            raise DomainError(
                f"a complex review is due at most {COMPLEX_REVIEW_MAX_DAYS} days after submission"
                f" ({latest.isoformat()})",
                field="review_due_on",
            )
        standard = standard_review_due(self.submitted_on, calendar)
        if review_due_on <= standard or review_due_on < today:
            raise DomainError(
                "a complex review is due later than the standard review and not in the past",
                field="review_due_on",
            )
        self._mark_complex(review_due_on, _text(reason, "reason"))

    class Escalated(Aggregate.Event):
        to: str
        reason: str
        on: date

    @event(Escalated)
    def _escalate(self, to: str, reason: str, on: date) -> None:
        self.status = "escalated"
        self.escalated = True

    def escalate(self, reason: str, on: date) -> None:
        self._require_open()
        if self.escalated:
            raise InvalidTransition("the dispute is already escalated", field="status")
        self._escalate(ESCALATED_TO, _text(reason, "reason"), on)

    class Resolved(Aggregate.Event):
        decision: str
        note: str
        resolved_on: date
        adjustments: list[dict[str, Any]]
        interest: Money
        interest_days: int
        interest_rate_percent: Decimal

    @event(Resolved)
    def _resolve(
        self,
        decision: str,
        note: str,
        resolved_on: date,
        adjustments: list[dict[str, Any]],
        interest: Money,
        interest_days: int,
        interest_rate_percent: Decimal,
    ) -> None:
        self.status = decision
        self.decision = decision
        self.resolved_on = resolved_on
        self.interest = interest

    def resolve(
        self,
        decision: str,
        note: str,
        records: Sequence[Commission],
        on: date,
        annual_interest_rate_percent: Decimal,
    ) -> list[Commission]:
        """Accept (adjustments, and interest when late) or reject the dispute. Returns the new
        records; the given records change status."""
        if self.status not in ("under_review", "escalated"):
            raise InvalidTransition(
                f"a {self.status} dispute cannot be resolved; take it under review first",
                field="status",
            )
        if decision not in RESOLVED:
            raise DomainError("decision is accepted or rejected", field="decision")
        note = _text(note, "note")
        by_id = {record.id: record for record in records}
        if sorted(by_id) != sorted(self.commission_ids):
            raise ValueError("resolve needs exactly the disputed records")
        created: list[Commission] = []
        adjustments: list[dict[str, Any]] = []
        interest, days = Money.zero(self.currency), 0
        source = f"dispute:{self.id}"
        for item in self.items:
            record = by_id[UUID(item["commission_id"])]
            if decision == "rejected":
                record.reject_dispute(note, on)
                continue
            corrected = Money.of(item["corrected_base"], self.currency)
            adjustment = record.settle_dispute(
                corrected, note, adjustment_id(self.id, record.id), on, source
            )
            created.append(adjustment)
            adjustments.append(
                {
                    "commission_id": item["commission_id"],
                    "adjustment_id": str(adjustment.id),
                    "amount": adjustment.commission_amount.amount,
                }
            )
        if decision == "accepted":
            total = sum((a.commission_amount for a in created), Money.zero(self.currency))
            interest, days = late_interest(
                total, annual_interest_rate_percent, self.review_due_on, on
            )
            if interest.is_positive:
                created.append(
                    Commission.record_interest(
                        interest_id(self.id),
                        self.reseller_number,
                        total,
                        annual_interest_rate_percent,
                        interest,
                        self.review_due_on,
                        on,
                        source,
                    )
                )
        self._resolve(decision, note, on, adjustments, interest, days, annual_interest_rate_percent)
        return created


def _documents(
    dispute_id: UUID,
    documents: Sequence[Document],
    existing: Sequence[dict[str, Any]],
    max_bytes: int,
    prefix: str = "documents.",
) -> list[dict[str, Any]]:
    """Each document as recorded in an event; `prefix` names where the request held them."""
    if len(existing) + len(documents) > MAX_DOCUMENTS:
        raise DomainError(f"a dispute holds at most {MAX_DOCUMENTS} documents", field="documents")
    known = {d["sha256"] for d in existing}
    recorded = []
    for index, document in enumerate(documents):
        field = f"{prefix}{index}." if prefix else ""
        entry = document.record(dispute_id, field, max_bytes)
        if entry["sha256"] in known:
            raise DomainError("this document is already attached", field=f"{field}content_base64")
        known.add(entry["sha256"])
        recorded.append(entry)
    return recorded
