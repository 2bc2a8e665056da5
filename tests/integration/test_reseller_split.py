"""The concerns split off the Reseller aggregate (issue 12), through the real store: a reseller
whose security settings, custom roles, tariff authorizations, payment settings and tax profile
were recorded by the legacy `Reseller` events still reads them; a new change is recorded on the
new aggregate (team policy, tariff authorizations, payment settings, tax profile), never on the
Reseller; and the statements projection reads a legacy and a new tax profile alike."""

from __future__ import annotations

import json
import time
from typing import Any

import psycopg
from eventsourcing.application import AggregateNotFoundError

from commands.access.users import (
    DefineRole,
    SecuritySettings,
    change_security_settings,
    define_role,
    list_roles,
)
from commands.billing.books import PaymentSettings, change_payment_settings
from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    authorize_tariff,
    catalogue,
    define_tariff,
)
from commands.commissions.payouts import SetTaxProfile, get_tax_profile, set_tax_profile
from commands.runner import Outcome, fingerprint, run_command
from domain.access.team_policy import TeamPolicy, team_policy_id
from domain.billing.payment_settings import ResellerPaymentSettings, payment_settings_id
from domain.catalogue.authorizations import TariffAuthorizations, tariff_authorizations_id
from domain.commissions.tax_profile import TaxProfile, tax_profile_id
from domain.ledger.personal import PersonalText
from domain.partners.reseller import Reseller, reseller_id
from projections.base import feed_position
from projections.registry import PROJECTORS
from tests.support.builders import context, new_reseller

MOVED_KINDS = {
    "SecuritySettingsChanged",
    "CustomRoleDefined",
    "CustomRoleRemoved",
    "TariffAuthorized",
    "TariffWithdrawn",
    "PaymentSettingsChanged",
    "TaxProfileSet",
}


def body(result: Any) -> dict[str, Any]:
    return dict(json.loads(result.body))


def new_tariff(store: Any) -> int:
    made = define_tariff(
        store,
        context(),
        DefineTariff(service_type="internet", name="legacy", wholesale_price="30", currency="USD"),
    )
    return int(body(made)["tariff_id"])


def store_legacy_events(store: Any, number: int, tariffs: list[int]) -> None:
    """Records each concern the way the Reseller did before the split (stamped by the runner,
    as the old commands were)."""

    def handle() -> Outcome:
        reseller = store.repository.get(reseller_id(number))
        assert isinstance(reseller, Reseller)
        reseller._change_security_settings(True, True)
        reseller._define_custom_role("clerk", "user", ["customer_view"])
        reseller._define_custom_role("gone", "user", ["customer_view"])
        reseller._remove_custom_role("gone")
        for tariff in tariffs:
            reseller._authorize_tariff(tariff, ["abuja"])
        reseller._withdraw_tariff(tariffs[-1])
        reseller._change_payment_settings(True)
        tin = PersonalText(reseller.id, "12-3456789")
        reseller._set_tax_profile("Legacy Ltd", "1 Old Road", "US", None, tin, True)
        return Outcome([reseller], {}, reseller.root_number, number)

    run_command(store, context(), handle, fingerprint("legacy", number))


def reseller_events(store: Any, number: int) -> list[str]:
    return [type(e).__name__ for e in store.events.get(reseller_id(number))]


def not_stored(store: Any, aggregate_id: Any) -> bool:
    try:
        store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return True
    return False


def test_legacy_events_are_read_and_new_changes_go_to_the_new_aggregates(store):
    tenant = new_reseller(store, roles=())
    number = tenant.number
    kept, withdrawn = new_tariff(store), new_tariff(store)
    store_legacy_events(store, number, [kept, withdrawn])
    legacy = reseller_events(store, number)
    assert set(legacy) >= MOVED_KINDS

    # Reads see the legacy state; nothing is stored by reading.
    assert list_roles(store, context(), number)["custom"] == {
        "clerk": {"base_role": "user", "permissions": ["customer_view"]}
    }
    unchanged = change_security_settings(store, context(), SecuritySettings(), number)
    assert body(unchanged) == {
        "reseller_id": number,
        "require_two_factor": True,
        "manage_sub_resellers": True,
    }
    offered = catalogue(store, context(), number)["tariffs"]
    assert [(t["tariff_id"], t["authorized_regions"]) for t in offered] == [(kept, ["abuja"])]
    profile = get_tax_profile(store, context(), number)
    assert (profile["legal_name"], profile["tin_last4"], profile["set"]) == (
        "Legacy Ltd",
        "6789",
        True,
    )
    assert profile["backup_withholding"] is True
    enabled = change_payment_settings(
        store, context(), PaymentSettings(crypto_payments_enabled=True), number
    )
    assert body(enabled)["crypto_payments_enabled"] is True
    for aggregate_id in (
        team_policy_id(number),
        tariff_authorizations_id(number),
        tax_profile_id(number),
        payment_settings_id(number),
    ):
        assert not_stored(store, aggregate_id)

    # New changes: recorded on the new aggregates, starting from the legacy state.
    change_security_settings(store, context(), SecuritySettings(require_two_factor=False), number)
    define_role(
        store,
        context(),
        DefineRole(name="auditor", base_role="readonly", permissions=["report_view"]),
        number,
    )
    authorize_tariff(store, context(), number, AuthorizeTariff(tariff_id=withdrawn))
    change_payment_settings(
        store, context(), PaymentSettings(crypto_payments_enabled=False), number
    )
    set_tax_profile(
        store,
        context(),
        number,
        SetTaxProfile(legal_name="New Ltd", address="2 New Road", country="US"),
    )

    policy = store.repository.get(team_policy_id(number))
    assert isinstance(policy, TeamPolicy)
    assert (policy.require_two_factor, policy.manage_sub_resellers) == (False, True)
    assert set(policy.custom_roles) == {"clerk", "auditor"}
    authorizations = store.repository.get(tariff_authorizations_id(number))
    assert isinstance(authorizations, TariffAuthorizations)
    assert authorizations.authorized_tariffs == {str(kept): ["abuja"], str(withdrawn): []}
    settings = store.repository.get(payment_settings_id(number))
    assert isinstance(settings, ResellerPaymentSettings)
    assert not settings.crypto_payments_enabled
    tax = store.repository.get(tax_profile_id(number))
    assert isinstance(tax, TaxProfile)
    # The legacy backup withholding is kept: only the ISP changes it, and it was not asked to.
    assert tax.facts()["legal_name"] == "New Ltd" and tax.facts()["backup_withholding"]

    # Reads now take the new aggregates.
    assert set(list_roles(store, context(), number)["custom"]) == {"clerk", "auditor"}
    assert [t["tariff_id"] for t in catalogue(store, context(), number)["tariffs"]] == [
        kept,
        withdrawn,
    ]
    assert get_tax_profile(store, context(), number)["legal_name"] == "New Ltd"

    # The Reseller stream got nothing of the moved kinds.
    assert reseller_events(store, number) == legacy


def latest_tax_profile(database_url: str, store: Any, number: int) -> tuple[str, str]:
    head = store.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    projector = PROJECTORS["statements"]
    with psycopg.connect(database_url, autocommit=True) as conn:
        while feed_position(conn, projector) < head:
            assert time.monotonic() < deadline, "the statements projection did not catch up"
            time.sleep(0.02)
        row = conn.execute(
            f"SELECT legal_name, address FROM {projector.live_schema()}.tax_profiles"
            " WHERE reseller_aggregate_id = %s ORDER BY position DESC LIMIT 1",
            (reseller_id(number),),
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_statements_projection_reads_legacy_and_new_tax_profiles_alike(
    store, database_url, store_feed
):
    number = new_reseller(store, roles=()).number
    store_legacy_events(store, number, [new_tariff(store)])
    assert latest_tax_profile(database_url, store, number) == ("Legacy Ltd", "1 Old Road")
    set_tax_profile(
        store,
        context(),
        number,
        SetTaxProfile(legal_name="New Ltd", address="2 New Road", country="US"),
    )
    assert latest_tax_profile(database_url, store, number) == ("New Ltd", "2 New Road")
