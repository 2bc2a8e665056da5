"""The concerns split off the Reseller aggregate: new aggregates keyed by the reseller number,
carried over from the legacy events of a reseller that has none yet."""

import pytest

from domain.access.team_policy import TeamPolicy, team_policy_id
from domain.billing.payment_settings import ResellerPaymentSettings, payment_settings_id
from domain.catalogue.authorizations import TariffAuthorizations, tariff_authorizations_id
from domain.commissions.tax_profile import TaxProfile, tax_profile_id
from domain.ledger.errors import DomainError
from domain.ledger.personal import PersonalText, reveal
from domain.partners.reseller import Reseller, reseller_id


def legacy_reseller() -> Reseller:
    return Reseller.register(7, "ABC", "ABC", "NG", "NGN", None)


def test_a_team_policy_is_keyed_by_the_reseller_number():
    policy = TeamPolicy.carried_over(legacy_reseller())
    assert policy.id == team_policy_id(7) != team_policy_id(8)
    assert (policy.require_two_factor, policy.manage_sub_resellers, policy.custom_roles) == (
        False,
        False,
        {},
    )


def test_a_team_policy_carries_over_the_legacy_settings_and_roles():
    reseller = legacy_reseller()
    reseller._change_security_settings(True, True)
    reseller._define_custom_role("clerk", "user", ["customer_view"])
    reseller._define_custom_role("auditor", "readonly", ["report_view"])
    reseller._remove_custom_role("auditor")
    policy = TeamPolicy.carried_over(reseller)
    assert policy.require_two_factor and policy.manage_sub_resellers
    assert policy.custom_roles == {"clerk": {"base_role": "user", "permissions": ["customer_view"]}}


def test_security_settings_change_only_what_is_given():
    policy = TeamPolicy.carried_over(legacy_reseller())
    assert policy.change_security_settings(True, None)
    assert (policy.require_two_factor, policy.manage_sub_resellers) == (True, False)
    assert not policy.change_security_settings(True, None)
    assert not policy.change_security_settings(None, None)
    events = policy.collect_events()
    assert [type(e).__name__ for e in events] == ["Created", "SecuritySettingsChanged"]
    assert all(e.reseller_number == 7 for e in events[1:])


def test_custom_roles_are_defined_redefined_and_removed():
    policy = TeamPolicy.carried_over(legacy_reseller())
    policy.define_custom_role(" Clerk ", "user", ["customer_view"])
    policy.define_custom_role("clerk", "manager", ["customer_manage"])
    assert policy.custom_roles == {
        "clerk": {"base_role": "manager", "permissions": ["customer_manage"]}
    }
    policy.remove_custom_role("clerk")
    assert policy.custom_roles == {}
    with pytest.raises(DomainError):
        policy.remove_custom_role("clerk")


@pytest.mark.parametrize("name", ["admin", "x", "has space", "Ünïcode"])
def test_custom_role_names_are_refused_when_built_in_or_malformed(name):
    with pytest.raises(DomainError):
        TeamPolicy.carried_over(legacy_reseller()).define_custom_role(name, "user", [])


def test_at_most_fifty_custom_roles():
    policy = TeamPolicy.carried_over(legacy_reseller())
    for n in range(50):
        policy.define_custom_role(f"role{n}", "user", [])
    with pytest.raises(DomainError):
        policy.define_custom_role("one-more", "user", [])
    policy.define_custom_role("role0", "readonly", [])  # redefining is not adding


def test_tariff_authorizations_carry_over_the_legacy_ones():
    reseller = legacy_reseller()
    reseller._authorize_tariff(1, [])
    reseller._authorize_tariff(2, ["abuja"])
    reseller._withdraw_tariff(1)
    authorizations = TariffAuthorizations.carried_over(reseller)
    assert authorizations.id == tariff_authorizations_id(7)
    assert authorizations.authorized_tariffs == {"2": ["abuja"]}


def test_tariff_authorizations_decide_what_may_be_sold_where():
    authorizations = TariffAuthorizations.carried_over(legacy_reseller())
    authorizations.authorize(1, [])
    authorizations.authorize(2, ["abuja"])
    assert authorizations.may_sell(1, "lagos") and authorizations.may_sell(1, None)
    assert authorizations.may_sell(2, "abuja") and authorizations.may_sell(2, None)
    assert not authorizations.may_sell(2, "lagos")
    assert not authorizations.may_sell(3, None) and not authorizations.is_authorized(3)
    authorizations.withdraw(2)
    assert not authorizations.is_authorized(2)
    with pytest.raises(DomainError):
        authorizations.withdraw(2)
    events = authorizations.collect_events()
    assert {e.reseller_number for e in events[1:]} == {7}


def test_a_reseller_without_a_tax_profile_has_the_facts_of_its_record():
    profile = TaxProfile.carried_over(legacy_reseller())
    assert profile.id == tax_profile_id(7)
    assert profile.profile is None
    assert profile.facts() == {
        "legal_name": "ABC",
        "address": "",
        "country": "NG",
        "vat_id": None,
        "tin": None,
        "backup_withholding": False,
    }


def test_a_tax_profile_carries_over_the_legacy_one():
    reseller = legacy_reseller()
    tin = PersonalText(reseller.id, "12-3456789")
    reseller._set_tax_profile("ABC Ltd", "1 Road", "US", None, tin, True)
    profile = TaxProfile.carried_over(reseller)
    assert profile.facts() == reseller.tax_profile
    assert [type(e).__name__ for e in profile.collect_events()] == ["Created", "Set"]


def test_a_new_tax_profile_encrypts_the_tin_with_the_resellers_key():
    profile = TaxProfile.carried_over(legacy_reseller())
    profile.set(" ABC Ltd ", "1 Road", "DE", "de 123456789", "123-45-6789", False)
    facts = profile.facts()
    assert (facts["legal_name"], facts["vat_id"]) == ("ABC Ltd", "DE 123456789")
    assert facts["tin"].subject_id == reseller_id(7)
    assert reveal(facts["tin"]) == "123-45-6789"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"legal_name": " "}, "legal_name"),
        ({"address": ""}, "address"),
        ({"country": "Nigeria"}, "country"),
        ({"vat_id": "?"}, "vat_id"),
        ({"tin": "12"}, "tin"),
        ({"backup_withholding": True}, "backup_withholding"),
    ],
)
def test_bad_tax_profiles_are_refused_naming_the_field(change, field):
    fields = {
        "legal_name": "ABC Ltd",
        "address": "1 Road",
        "country": "NG",
        "vat_id": None,
        "tin": None,
        "backup_withholding": False,
    } | change
    with pytest.raises(DomainError) as refused:
        TaxProfile.carried_over(legacy_reseller()).set(**fields)
    assert refused.value.field == field


def test_payment_settings_carry_over_the_legacy_ones_and_record_only_changes():
    reseller = legacy_reseller()
    reseller._change_payment_settings(True)
    settings = ResellerPaymentSettings.carried_over(reseller)
    assert settings.id == payment_settings_id(7)
    assert settings.crypto_payments_enabled
    assert not settings.change(True)
    assert settings.change(False) and not settings.crypto_payments_enabled
    events = settings.collect_events()
    assert [type(e).__name__ for e in events] == ["Created", "Changed"]
    assert events[1].reseller_number == 7
