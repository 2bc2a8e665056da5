"""Erasing a customer's personal data (crypto-shredding).

The master ISP erases a closed customer: the customer's data key is deleted first, then a
`PersonalDataErased` event (which carries no personal data) is appended so that every read
model replaces the customer's personal data with placeholders. Stored events are never edited:
their ciphertext simply can no longer be read, so history, balances and the tamper-evidence
chain are unchanged. Erasing again is a no-op that answers the same way.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from uuid import UUID

from pydantic import Field

from commands.customers.customers import customer_view, load_customer_in_scope
from commands.models import CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from domain.access.roles import Permission


@runtime_checkable
class SubjectKeys(Protocol):
    """The keyring of per-subject data keys (infra.privacy implements it)."""

    def erase(self, subject_id: UUID) -> None: ...


class EraseCustomer(CommandModel):
    reason: str | None = Field(
        default=None,
        max_length=500,
        description="Why (e.g. a request reference); must not itself hold personal data",
        examples=["erasure request ER-2026-0042"],
    )


def erase_customer(
    store: Store,
    keys: SubjectKeys,
    context: RequestContext,
    customer_id: UUID,
    command: EraseCustomer,
) -> CommandResult:
    def handle() -> Outcome:
        customer = load_customer_in_scope(store, context, customer_id)
        context.principal.require(Permission.RESELLER_MANAGE)
        if not customer.personal_data_erased:
            # Refuses (and writes nothing) unless the customer is closed.
            customer.erase_personal_data(command.reason)
            # The key goes before the event is saved: should the save fail, the data is
            # already unreadable and running the command again records the event.
            keys.erase(customer.id)
        body = {**customer_view(customer), "personal_data_erased": True}
        return Outcome([customer], body, customer.tenant_number, customer.reseller_number)

    return run_command(
        store,
        context,
        handle,
        fingerprint("erase_customer", customer_id, command.model_dump(mode="json")),
    )
