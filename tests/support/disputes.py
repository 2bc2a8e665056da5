"""Builders for commission disputes: a record taken through clearing and approval, then
disputed by its reseller's admin, all through the real command layer."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.commissions.accrual import approve_commission, clear_commission
from commands.commissions.disputes import (
    DisputeConfig,
    DisputeItem,
    DocumentUpload,
    StartReview,
    SubmitDispute,
    start_review,
    submit_dispute,
)
from commands.customers.customers import CreateCustomer, create_customer
from domain.access.roles import Role
from domain.commissions.records import Commission
from tests.support.builders import context, reseller_principal

DOCUMENT = b"supporting statement"


def approve_on(store: Any, commission_id: str, now: datetime) -> None:
    """Clear (the holding period is 30 days) and approve a commission as of `now`."""
    record = store.repository.get(uuid.UUID(commission_id))
    assert isinstance(record, Commission)
    cleared_at = max(now, datetime.now(UTC) + timedelta(days=31))
    clear_commission(store, context(now=cleared_at), record.id)
    approve_commission(store, context(now=now), record.id)


def submit_on(
    store: Any,
    commission_id: str,
    now: datetime,
    raise_base_by: str = "10.00",
    document: bool = False,
) -> dict[str, Any]:
    """The record's reseller admin disputes it as of `now`, claiming a higher base."""
    record = store.repository.get(uuid.UUID(commission_id))
    documents = []
    if document:
        documents = [
            DocumentUpload(
                filename="statement.txt",
                content_type="text/plain",
                content_base64=base64.b64encode(DOCUMENT).decode(),
            )
        ]
    result = submit_dispute(
        store,
        context(reseller_principal(record.reseller_number, Role.ADMIN), now=now),
        SubmitDispute(
            items=[
                DisputeItem(
                    commission_id=record.id,
                    corrected_base_amount=record.base_amount.amount + Decimal(raise_base_by),
                )
            ],
            reason="the customer paid more than recorded",
            documents=documents,
        ),
        DisputeConfig(),
    )
    body: dict[str, Any] = json.loads(result.body)
    return body


def disputed_commission(store: Any, commission_id: str, now: datetime | None = None) -> str:
    """Approve and dispute a commission on the same day; the dispute's id."""
    now = now or datetime.now(UTC) + timedelta(days=31)
    approve_on(store, commission_id, now)
    return str(submit_on(store, commission_id, now)["dispute_id"])


def approved_commission(store: Any, number: int, now: datetime) -> str:
    """A fresh customer payment's commission for reseller `number`, approved as of `now`."""
    created = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person", first_name="D", last_name="Ispute", reseller_id=number
        ),
    )
    paid = record_customer_payment(
        store,
        context(),
        uuid.UUID(json.loads(created.body)["customer_id"]),
        CustomerPayment(amount="10.00", currency="USD", method="cash"),
    )
    commission = str(json.loads(paid.body)["commissions"][0])
    approve_on(store, commission, now)
    return commission


def dispute_in_state(
    store: Any, number: int, now: datetime, state: str = "submitted", document: bool = False
) -> dict[str, Any]:
    """A dispute of reseller `number` as of `now`: 'submitted' or 'under_review'."""
    commission = approved_commission(store, number, now)
    dispute = submit_on(store, commission, now, document=document)
    if state == "under_review":
        start_review(
            store,
            context(now=now),
            uuid.UUID(dispute["dispute_id"]),
            StartReview(),
            DisputeConfig(),
        )
    return dispute
