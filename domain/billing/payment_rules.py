"""Rules on a customer payment before it is applied: what its reference may hold, which methods
the reseller accepts, how the reseller's credit standing routes it, when a plan may start."""

from __future__ import annotations

from datetime import date

from domain.ledger.errors import DomainError

CARD_NUMBER_DIGITS = 13
"""The shortest card number (PAN): a reference with this many digits may hold one."""

HANDLING_BY_CREDIT_ACTION = {"continue": "normal", "review": "review", "escalate": "escalated"}
"""The credit account's action for payments (its policy at the limit) -> the payment's handling."""


def check_reference(reference: str | None) -> None:
    """Refuse a reference that may hold a card number: only the processor's token is kept."""
    digits = "".join(c for c in reference or "" if c.isdigit())
    if len(digits) >= CARD_NUMBER_DIGITS:
        raise DomainError(
            "references must not hold card numbers; send the processor's token", field="reference"
        )


def check_method_enabled(method: str, crypto_payments_enabled: bool) -> None:
    """Cryptocurrency payments only where the reseller has enabled them."""
    if method == "crypto" and not crypto_payments_enabled:
        raise DomainError("cryptocurrency payments are not enabled", field="method")


def payment_handling(credit_action: str) -> str:
    """How a payment is handled given the credit account's action for payments."""
    return HANDLING_BY_CREDIT_ACTION[credit_action]


def check_plan_start(first_due_on: date, today: date) -> None:
    """A payment plan's first installment cannot fall due in the past."""
    if first_due_on < today:
        raise DomainError("first_due_on cannot be in the past", field="first_due_on")
