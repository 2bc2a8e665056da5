"""The payout API: schedule and tax profile (who may set what), FX rates (the ISP), and bad
input refused as problem+json naming the field, with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access.roles import Role
from tests.api.helpers import assert_problem

SCHEDULE = "/reseller/api/commissions/payout-schedule"
TAX = "/reseller/api/tax-profile"


def test_reseller_admins_set_the_schedule_and_it_reads_back(client, tenant):
    default = client.get(SCHEDULE, headers=tenant.headers())
    assert default.status_code == 200
    assert (default.json()["frequency"], default.json()["minimum_threshold"]) == (
        "monthly",
        "50.00",
    )
    body = {
        "frequency": "quarterly",
        "processing_day": 18,
        "minimum_threshold": 250.5,
        "payment_method": "wire",
        "payment_currency": "EUR",
        "net_against_credit": True,
    }
    set_ = client.put(SCHEDULE, headers=tenant.headers(), json=body)
    assert set_.status_code == 200, set_.text
    read = client.get(SCHEDULE, headers=tenant.headers(Role.READONLY)).json()
    assert read | {"carried_forward": None} == {
        "reseller_id": tenant.number,
        "frequency": "quarterly",
        "processing_day": 18,
        "minimum_threshold": "250.50",
        "currency": "USD",
        "payment_method": "wire",
        "payment_currency": "EUR",
        "net_against_credit": True,
        "carried_forward": None,
        "last_cycle": None,
        "open_cycle": None,
    }
    refused = client.put(SCHEDULE, headers=tenant.headers(Role.MANAGER), json=body)
    assert_problem(refused, 403)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"frequency": "weekly"}, "frequency"),
        ({"processing_day": 29}, "processing_day"),
        ({"processing_day": 0}, "processing_day"),
        ({"minimum_threshold": "49.99"}, "minimum_threshold"),
        ({"minimum_threshold": "1000.01"}, "minimum_threshold"),
        ({"minimum_threshold": "50.001"}, "minimum_threshold"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"payment_currency": "XYZ"}, "payment_currency"),
        ({"net_against_credit": "maybe"}, "net_against_credit"),
        ({"reseller_id": 1}, "reseller_id"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(client, tenant, change, field):
    before = client.get(SCHEDULE, headers=tenant.headers()).json()
    response = client.put(
        SCHEDULE, headers=tenant.headers(), json={"frequency": "monthly"} | change
    )
    assert_problem(response, 422, field)
    assert client.get(SCHEDULE, headers=tenant.headers()).json() == before


def test_tax_profile_and_who_may_change_backup_withholding(client, tenant, isp_headers):
    profile = {
        "legal_name": "Tenant LLC",
        "address": "1 Main St, Austin TX",
        "country": "US",
        "tin": "123-45-6789",
    }
    made = client.put(TAX, headers=tenant.headers(), json=profile)
    assert made.status_code == 200, made.text
    assert made.json()["tin_last4"] == "6789" and "6789" in made.text
    assert "123-45" not in made.text  # the TIN is never shown in full
    refused = client.put(TAX, headers=tenant.headers(), json=profile | {"backup_withholding": True})
    assert_problem(refused, 403, "backup_withholding")
    by_isp = client.put(
        TAX,
        headers=isp_headers,
        params={"reseller_id": tenant.number},
        json=profile | {"backup_withholding": True},
    )
    assert by_isp.status_code == 200 and by_isp.json()["backup_withholding"] is True
    # The reseller may still correct its address; withholding stays as the ISP set it.
    kept = client.put(TAX, headers=tenant.headers(), json=profile | {"address": "2 Main St"})
    assert kept.status_code == 200 and kept.json()["backup_withholding"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "usa"}, "country"),
        ({"legal_name": ""}, "legal_name"),
        ({"tin": "123"}, "tin"),
        ({"tin": "12345678X"}, "tin"),
        ({"vat_id": "!!bad!!"}, "vat_id"),
        ({"country": "NG", "backup_withholding": True}, "backup_withholding"),
    ],
)
def test_bad_tax_profiles_are_refused_naming_the_field(client, tenant, isp_headers, change, field):
    body = {"legal_name": "Tenant LLC", "address": "1 Main St", "country": "US"} | change
    response = client.put(
        TAX, headers=isp_headers, params={"reseller_id": tenant.number}, json=body
    )
    assert_problem(response, 422, field)
    assert client.get(TAX, headers=tenant.headers()).json()["set"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rate": "0"}, "rate"),
        ({"rate": "-1.5"}, "rate"),
        ({"rate": "NaN"}, "rate"),
        ({"quote": "USD"}, "quote"),
        ({"base": "ABC"}, "base"),
        ({"as_of": (datetime.now(UTC) + timedelta(days=400)).isoformat()}, "as_of"),
    ],
)
def test_bad_fx_rates_are_refused_naming_the_field(client, isp_headers, change, field):
    body = {"base": "USD", "quote": "NGN", "rate": "1500.25"} | change
    assert_problem(
        client.post("/reseller/api/fx-rates", headers=isp_headers, json=body), 422, field
    )


def test_only_the_isp_records_rates(client, tenant, isp_headers):
    body = {"base": "USD", "quote": "NGN", "rate": 1500.25}
    assert_problem(client.post("/reseller/api/fx-rates", headers=tenant.headers(), json=body), 403)
    made = client.post("/reseller/api/fx-rates", headers=isp_headers, json=body)
    assert made.status_code == 201 and made.json()["rate"] == "1500.25"


def test_statements_need_a_valid_period_and_unknown_payouts_are_not_found(client, tenant):
    bad = client.get(
        "/reseller/api/commissions/statements",
        headers=tenant.headers(),
        params={"period": "2026-13"},
    )
    assert_problem(bad, 422, "period")
    missing = client.get(
        "/reseller/api/commissions/statements",
        headers=tenant.headers(),
        params={"period": "2026-01"},
    )
    assert_problem(missing, 404)
    for payout_id in ("not-a-uuid", "6f1c2a0e-7f55-4c9b-9d43-5a0b2b1f3e10"):
        response = client.get(
            f"/reseller/api/commissions/payouts/{payout_id}", headers=tenant.headers()
        )
        assert_problem(response, 404)
