"""The reseller's books and billing settings: closing the books through a date, and
which payment methods are enabled."""

from __future__ import annotations

from pydantic import Field

from commands.errors import Unprocessable
from commands.models import ApiDate, CommandModel
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import load
from domain.access.roles import Permission
from domain.ledger.errors import DomainError
from domain.partners.reseller import Reseller, reseller_id

# -- accounting periods -----------------------------------------------------------------------


class CloseBooks(CommandModel):
    through: ApiDate = Field(description="The last day of the period to close")


def close_books(
    store: Store, context: RequestContext, command: CloseBooks, reseller_number: int | None
) -> CommandResult:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        try:
            reseller.close_books(command.through, context.received_at.date())
        except DomainError as error:
            raise Unprocessable(str(error), field=error.field) from None
        body = {"reseller_id": number, "books_closed_through": command.through.isoformat()}
        return Outcome([reseller], body, reseller.root_number, number)

    return run_command(store, context, handle, fingerprint("close_books", number, command.through))


class PaymentSettings(CommandModel):
    crypto_payments_enabled: bool


def change_payment_settings(
    store: Store, context: RequestContext, command: PaymentSettings, reseller_number: int | None
) -> CommandResult:
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_MANAGE)

    def handle() -> Outcome:
        reseller = load(store, reseller_id(number), Reseller, "reseller")
        if reseller.crypto_payments_enabled != command.crypto_payments_enabled:
            reseller.change_payment_settings(command.crypto_payments_enabled)
        body = {"reseller_id": number, "crypto_payments_enabled": reseller.crypto_payments_enabled}
        return Outcome([reseller], body, reseller.root_number, number)

    return run_command(
        store, context, handle, fingerprint("payment_settings", number, command.model_dump())
    )
