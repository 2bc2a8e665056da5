"""Loading a reseller's payment settings for the billing use cases."""

from __future__ import annotations

from commands.runner import Store
from commands.store_access import load_or_carried_over
from domain.billing.payment_settings import ResellerPaymentSettings, payment_settings_id
from domain.partners.reseller import Reseller


def load_payment_settings(store: Store, reseller: Reseller) -> ResellerPaymentSettings:
    """The reseller's stored settings, else the ones its legacy events left (unsaved)."""
    return load_or_carried_over(
        store,
        payment_settings_id(reseller.number),
        ResellerPaymentSettings,
        lambda: ResellerPaymentSettings.carried_over(reseller),
    )
