"""How a reseller's customers may pay: for now, whether cryptocurrency payments are accepted.

It used to be recorded on the `Reseller` aggregate (`Reseller.PaymentSettingsChanged`); those
stored events still replay there. New changes are recorded here, in one aggregate per reseller
whose id is derived from the reseller number. A reseller with none stored has
`ResellerPaymentSettings.carried_over(reseller)`: the legacy state, which saving records as the
aggregate's first event.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.ids import derived_id
from domain.partners.reseller import Reseller


def payment_settings_id(reseller_number: int) -> UUID:
    return derived_id("payment-settings", reseller_number)


class ResellerPaymentSettings(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int
        crypto_payments_enabled: bool

    @event(Created)
    def __init__(self, reseller_number: int, crypto_payments_enabled: bool) -> None:
        self.reseller_number = reseller_number
        self.crypto_payments_enabled = crypto_payments_enabled

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return payment_settings_id(reseller_number)

    @classmethod
    def carried_over(cls, reseller: Reseller) -> ResellerPaymentSettings:
        """The settings of a reseller that has none stored: what its legacy events say."""
        return cls(
            reseller_number=reseller.number,
            crypto_payments_enabled=reseller.crypto_payments_enabled,
        )

    class Changed(Aggregate.Event):
        reseller_number: int
        crypto_payments_enabled: bool

    @event(Changed)
    def _change(self, reseller_number: int, crypto_payments_enabled: bool) -> None:
        self.crypto_payments_enabled = crypto_payments_enabled

    def change(self, crypto_payments_enabled: bool) -> bool:
        """False when nothing changes (then nothing is recorded)."""
        if crypto_payments_enabled == self.crypto_payments_enabled:
            return False
        self._change(self.reseller_number, crypto_payments_enabled)
        return True
