"""Commissions accrue on customer payments along the sub-reseller chain (pending, with their
journal entries); refunds and credit notes accrue clawbacks."""

import uuid
from decimal import Decimal

from tests.api.helpers import position, seed_customer


def test_payments_accrue_pass_through_commissions(client, isp_headers):
    top = client.post(
        "/reseller/api/resellers",
        headers=isp_headers,
        json={
            "reseller_code": f"TOP{uuid.uuid4().hex[:8]}",
            "name": "Top",
            "country": "US",
            "currency": "USD",
            "credit_limit": "1000.00",
            "commission_percent": "15.00",
        },
    ).json()
    middle = client.post(
        "/reseller/api/sub-resellers",
        headers=isp_headers,
        json={
            "parent_reseller_id": top["reseller_id"],
            "name": "Middle",
            "commission_percent": "12.00",
        },
    ).json()
    leaf = client.post(
        "/reseller/api/sub-resellers",
        headers=isp_headers,
        json={
            "parent_reseller_id": middle["reseller_id"],
            "name": "Leaf",
            "commission_percent": "8.00",
        },
    ).json()
    customer = client.post(
        "/reseller/api/customers", headers=isp_headers, json=seed_customer(leaf["reseller_id"])
    ).json()["customer_id"]
    paid = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=isp_headers,
        json={"amount": "99.99", "currency": "USD", "method": "card"},
    )
    assert paid.status_code == 201, paid.text
    assert len(paid.json()["commissions"]) == 3

    def records(reseller):
        return client.get(
            "/reseller/api/commissions",
            headers=isp_headers,
            params={"reseller_id": reseller, "wait_for_position": position(paid)},
        ).json()

    (leaf_record,) = records(leaf["reseller_id"])
    assert (leaf_record["commission_amount"], leaf_record["status"]) == ("7.99", "pending")
    assert leaf_record["commission_type"] == "recurring"
    assert leaf_record["base_amount"] == "99.99"
    (middle_record,) = records(middle["reseller_id"])
    (top_record,) = records(top["reseller_id"])
    shares = [Decimal(r["commission_amount"]) for r in (leaf_record, middle_record, top_record)]
    assert shares == [Decimal("7.99"), Decimal("4.00"), Decimal("3.00")]
    assert sum(shares) == Decimal("14.99")  # the seed: 15% of 99.99

    refunded = client.post(
        f"/reseller/api/customers/{customer}/refunds",
        headers=isp_headers,
        json={"amount": "99.99", "currency": "USD", "method": "card"},
    )
    assert refunded.status_code == 201, refunded.text
    leaf_records = client.get(
        "/reseller/api/commissions",
        headers=isp_headers,
        params={"reseller_id": leaf["reseller_id"], "wait_for_position": position(refunded)},
    ).json()
    assert sorted(Decimal(r["commission_amount"]) for r in leaf_records) == [
        Decimal("-7.99"),
        Decimal("7.99"),
    ]
    balance = client.get(
        "/reseller/api/ledger/trial-balance",
        headers=isp_headers,
        params={"wait_for_position": position(refunded)},
    ).json()
    assert balance["balanced"] is True
