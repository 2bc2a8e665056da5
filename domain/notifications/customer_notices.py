"""Notices to a customer (welcome with portal access, invoice issued, payment received,
suspension), and the port that says who receives them.

Contacts (issue 13) will decide routing per contact; until they are wired in, the default
recipient is the customer's own e-mail address. The port is a plain function type so that the
contacts context can supply one without this module knowing it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class NoticeType(StrEnum):
    WELCOME = "welcome"
    INVOICE_ISSUED = "invoice_issued"
    PAYMENT_RECEIVED = "payment_received"
    SUSPENSION = "suspension"


@dataclass(frozen=True, slots=True)
class CustomerRef:
    customer_id: str
    reseller: int
    email: str | None
    """The customer's own address, opened at delivery (personal data)."""


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: str
    address: str


RecipientsOf = Callable[[CustomerRef, NoticeType], list[Recipient]]


def own_email(customer: CustomerRef, notice: NoticeType) -> list[Recipient]:
    """The default port: every notice to the customer's own e-mail, when it has one."""
    return [Recipient("email", customer.email)] if customer.email else []


def _registered(data: Mapping[str, Any]) -> NoticeType | None:
    return NoticeType.WELCOME if data.get("portal_credentials_requested") else None


def _status(data: Mapping[str, Any]) -> NoticeType | None:
    return NoticeType.SUSPENSION if data.get("to_status") == "suspended" else None


_NOTICES: dict[str, Callable[[Mapping[str, Any]], NoticeType | None]] = {
    "Customer.Registered": _registered,
    "Customer.StatusChanged": _status,
    "CustomerAccount.InvoiceIssued": lambda _: NoticeType.INVOICE_ISSUED,
    "CustomerAccount.PaymentReceived": lambda _: NoticeType.PAYMENT_RECEIVED,
}


def notice_for(event_type: str, data: Mapping[str, Any]) -> NoticeType | None:
    rule = _NOTICES.get(event_type)
    return None if rule is None else rule(data)
