"""Dispute rules without I/O: the 5-business-day window, review due dates, late interest, and
resolution by exactly one adjustment per record."""

import hashlib
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.commissions.disputes import (
    Dispute,
    Document,
    late_interest,
    standard_review_due,
    window_closes,
)
from domain.commissions.records import Commission
from domain.ledger.calendar import add_business_days
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.journal import trial_balance
from domain.ledger.money import Money

THURSDAY = date(2026, 1, 8)
JAN = (date(2026, 1, 1), date(2026, 1, 31))
MAX_DOC = 1024


def usd(value):
    return Money.of(value, "USD")


def approved(on=THURSDAY, base="99.99"):
    record = Commission.calculate(7, None, "recurring", usd(base), Decimal("15"), *JAN)
    record.approve(on)
    return record


def submit(records, on, documents=()):
    return Dispute.submit(
        uuid.uuid4(),
        7,
        [(r, r.base_amount + usd("20.00")) for r in records],
        "base too low",
        list(documents),
        on,
        MAX_DOC,
    )


def test_business_days_skip_weekends():
    assert THURSDAY.weekday() == 3
    assert add_business_days(THURSDAY, 1) == date(2026, 1, 9)  # Friday
    assert add_business_days(THURSDAY, 2) == date(2026, 1, 12)  # Monday
    assert window_closes(THURSDAY) == date(2026, 1, 15)  # the next Thursday
    assert window_closes(date(2026, 1, 10)) == date(2026, 1, 16)  # approved on a Saturday
    assert standard_review_due(THURSDAY) == date(2026, 1, 22)


def test_the_last_business_day_of_the_window_is_in_and_the_next_day_out():
    inside = approved()
    dispute = submit([inside], window_closes(THURSDAY))
    assert inside.status == "disputed"
    assert dispute.status == "submitted"
    late = approved()
    with pytest.raises(DomainError) as refused:
        submit([late], window_closes(THURSDAY) + timedelta(days=1))
    assert refused.value.field == "items.0.commission_id"
    assert late.status == "approved"


def test_only_claims_in_the_resellers_favour_of_approved_records():
    record = Commission.calculate(7, None, "recurring", usd("99.99"), Decimal("15"), *JAN)
    with pytest.raises(DomainError, match="approved"):
        submit([record], THURSDAY)
    record.approve(THURSDAY)
    with pytest.raises(DomainError) as lower:
        Dispute.submit(uuid.uuid4(), 7, [(record, usd("50.00"))], "x", [], THURSDAY, MAX_DOC)
    assert lower.value.field == "items.0.corrected_base_amount"


def test_interest_is_simple_actual_365_rounded_down_and_nothing_before_due():
    due = date(2026, 2, 2)
    assert late_interest(usd("1000.00"), Decimal("5"), due, due) == (usd("0.00"), 0)
    assert late_interest(usd("1000.00"), Decimal("5"), due, due - timedelta(days=3))[0] == usd(
        "0.00"
    )
    # 1000 * 5% / 365 = 0.1369... per day
    assert late_interest(usd("1000.00"), Decimal("5"), due, due + timedelta(days=1)) == (
        usd("0.13"),
        1,
    )
    assert late_interest(usd("1000.00"), Decimal("5"), due, due + timedelta(days=2)) == (
        usd("0.27"),
        2,
    )
    assert late_interest(usd("1000.00"), Decimal("5"), due, due + timedelta(days=365))[0] == usd(
        "50.00"
    )


def test_accepting_makes_one_approved_adjustment_per_record_with_balanced_postings():
    records = [approved(), approved(base="10.00")]
    dispute = submit(records, THURSDAY)
    dispute.start_review(THURSDAY, None)
    created = dispute.resolve("accepted", "agreed", records, THURSDAY, Decimal("5"))
    assert [r.status for r in records] == ["adjusted", "adjusted"]
    assert len(created) == 2  # on time: no interest
    for adjustment, record in zip(created, records, strict=True):
        assert adjustment.status == "approved"
        assert adjustment.adjusts == record.id
        assert adjustment.commission_amount == usd("3.00")  # 15% of the 20.00 more
    postings = [p for c in created for p in c.pending_events[0].postings]
    assert trial_balance(postings) == {"USD": Decimal(0)}
    with pytest.raises(InvalidTransition):
        dispute.resolve("accepted", "again", records, THURSDAY, Decimal("5"))


def test_accepting_late_adds_an_interest_record():
    record = approved()
    dispute = submit([record], THURSDAY)
    dispute.start_review(THURSDAY, None)
    resolved_on = dispute.review_due_on + timedelta(days=73)
    created = dispute.resolve("accepted", "late", [record], resolved_on, Decimal("10"))
    adjustment, interest = created
    assert adjustment.commission_amount == usd("3.00")
    assert interest.commission_type == "interest"
    assert interest.status == "approved"
    # 3.00 * 10% * 73 / 365 = 0.06
    assert interest.commission_amount == usd("0.06")
    assert dispute.interest == usd("0.06")
    postings = [p for c in created for p in c.pending_events[0].postings]
    assert trial_balance(postings) == {"USD": Decimal(0)}


def test_rejecting_puts_the_records_back_to_approved_and_creates_nothing():
    record = approved()
    dispute = submit([record], THURSDAY)
    dispute.start_review(THURSDAY, None)
    assert dispute.resolve("rejected", "as calculated", [record], THURSDAY, Decimal("5")) == []
    assert record.status == "approved"


def test_complex_reviews_are_due_at_most_30_days_after_submission():
    dispute = submit([approved()], THURSDAY)
    with pytest.raises(DomainError) as too_late:
        dispute.mark_complex(THURSDAY + timedelta(days=31), "many records", THURSDAY)
    assert too_late.value.field == "review_due_on"
    dispute.mark_complex(THURSDAY + timedelta(days=30), "many records", THURSDAY)
    assert dispute.review_due_on == THURSDAY + timedelta(days=30)
    dispute.escalate("no answer", THURSDAY)
    with pytest.raises(InvalidTransition):
        dispute.escalate("again", THURSDAY)


def test_documents_are_recorded_with_their_sha256_and_limited_in_size():
    content = b"%PDF-1.4 statement"
    dispute = submit([approved()], THURSDAY, [Document("s.pdf", "application/pdf", content)])
    (recorded,) = dispute.documents
    assert recorded["sha256"] == hashlib.sha256(content).hexdigest()
    with pytest.raises(DomainError) as too_big:
        dispute.add_document(Document("big.bin", "application/octet-stream", b"x" * 1025), MAX_DOC)
    assert too_big.value.field == "content_base64"
