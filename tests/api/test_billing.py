"""Billing through the API: pricing applied, tax per line half-up, gap-free numbers, billing
twice bills once, proration across an upgrade, payments oldest first, overpayment as credit,
credit notes, refunds, closed periods, and books that balance."""

from datetime import timedelta
from decimal import Decimal

from tests.api.billing_helpers import NEXT_MONTH, TODAY, customer_with_service, period, tariff
from tests.api.helpers import assert_problem, position, seed_customer


def account(client, tenant, customer):
    return client.get(
        f"/reseller/api/customers/{customer}/account", headers=tenant.headers()
    ).json()


def test_pricing_invoice_numbers_and_idempotent_billing(client, tenant, isp_headers):
    plan = tariff(client, isp_headers, tenant, "20.00")
    priced = client.post(
        "/reseller/api/pricing",
        headers=tenant.headers(),
        json={
            "reseller_id": tenant.number,
            "service_type": "internet",
            "tariff_id": plan,
            "markup_type": "percent",
            "markup_value": 25.00,
            "min_price": 10.00,
            "max_price": 200.00,
            "effective_from": TODAY.isoformat(),
            "promotional_pricing": {
                "enabled": False,
                "discount_percent": 10,
                "valid_until": TODAY.isoformat(),
            },
        },
    )
    assert priced.status_code == 201, priced.text
    quote = client.get(
        "/reseller/api/pricing/quote", params={"tariff_id": plan}, headers=tenant.headers()
    ).json()
    assert (quote["wholesale"], quote["retail"]) == ("20.00", "25.00")

    first, _ = customer_with_service(client, tenant, plan)
    second, _ = customer_with_service(client, tenant, plan)
    invoices = []
    for customer in (first, second, first):
        billed = client.post(
            f"/reseller/api/customers/{customer}/invoices", json=period(), headers=tenant.headers()
        )
        assert billed.status_code in (200, 201), billed.text
        invoices.append(billed.json() | {"status": billed.status_code})
    assert [i["status"] for i in invoices] == [201, 201, 200]
    assert invoices[2]["already_billed"] is True
    assert invoices[2]["invoice_id"] == invoices[0]["invoice_id"]
    assert [i["number"] for i in invoices[:2]] == [f"{tenant.code}-000001", f"{tenant.code}-000002"]
    # Nigeria: 7.5% VAT, half-up per line: 25.00 -> 1.875 -> 1.88.
    assert (invoices[0]["net"], invoices[0]["tax"], invoices[0]["total"]) == (
        "25.00",
        "1.88",
        "26.88",
    )
    proforma = client.get(
        f"/reseller/api/customers/{first}/invoices/proforma",
        params=period(),
        headers=tenant.headers(),
    ).json()
    assert proforma["proforma"] is True and proforma["total"] == "26.88"
    credit = client.get("/reseller/api/credit-account", headers=tenant.headers()).json()
    assert credit["balance"] == "40.00"  # wholesale 20.00 per billed customer


def test_an_upgrade_mid_period_is_prorated(client, tenant, isp_headers):
    basic = tariff(client, isp_headers, tenant, "30.00")
    premium = tariff(client, isp_headers, tenant, "60.00")
    customer, service = customer_with_service(client, tenant, basic)
    start, end = NEXT_MONTH
    days = (end - start).days + 1
    upgrade_on = start + timedelta(days=10)
    changed = client.post(
        f"/reseller/api/services/{service}/tariff",
        headers=tenant.headers(),
        json={"tariff_id": premium, "on": upgrade_on.isoformat()},
    )
    assert changed.status_code == 200, changed.text
    lines = client.get(
        f"/reseller/api/customers/{customer}/invoices/proforma",
        params=period(),
        headers=tenant.headers(),
    ).json()["lines"]
    expected_basic = (Decimal(10) / days * Decimal("30.00")).quantize(Decimal("0.01"))
    expected_premium = (Decimal(days - 10) / days * Decimal("60.00")).quantize(Decimal("0.01"))
    assert [Decimal(line["net"]) for line in lines] == [expected_basic, expected_premium]


def test_payments_settle_oldest_first_then_become_credit(client, tenant, isp_headers):
    plan = tariff(client, isp_headers, tenant, "10.00")
    customer, _ = customer_with_service(client, tenant, plan)
    start, end = NEXT_MONTH
    following = (
        end + timedelta(days=1),
        (end + timedelta(days=32)).replace(day=1) - timedelta(days=1),
    )
    for s, e in ((start, end), following):
        billed = client.post(
            f"/reseller/api/customers/{customer}/invoices",
            json=period(s, e),
            headers=tenant.headers(),
        )
        assert billed.status_code == 201, billed.text
    before = account(client, tenant, customer)
    older, newer = before["invoices"]
    paid = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": "12.00", "currency": "USD", "method": "card", "reference": "ch_123"},
    )
    assert paid.status_code == 201, paid.text
    after = paid.json()
    assert after["invoices"][0]["outstanding"] == "0.00"
    assert Decimal(after["invoices"][1]["outstanding"]) == Decimal(newer["total"]) - (
        Decimal("12.00") - Decimal(older["total"])
    )
    overpay = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": "50.00", "currency": "USD", "method": "bank_transfer"},
    )
    body = overpay.json()
    assert [i["outstanding"] for i in body["invoices"]] == ["0.00", "0.00"]
    credit_on_hand = Decimal(body["credit_balance"])
    assert credit_on_hand == Decimal("62.00") - Decimal(older["total"]) - Decimal(newer["total"])
    assert_problem(
        client.post(
            f"/reseller/api/customers/{customer}/refunds",
            headers=tenant.headers(),
            json={"amount": str(credit_on_hand + 1), "currency": "USD", "method": "bank_transfer"},
        ),
        422,
        "amount",
    )
    refunded = client.post(
        f"/reseller/api/customers/{customer}/refunds",
        headers=tenant.headers(),
        json={"amount": str(credit_on_hand), "currency": "USD", "method": "bank_transfer"},
    )
    assert refunded.status_code == 201 and refunded.json()["credit_balance"] == "0.00"
    noted = client.post(
        f"/reseller/api/customers/{customer}/credit-notes",
        headers=tenant.headers(),
        json={
            "invoice_id": older["invoice_id"],
            "net": "5.00",
            "currency": "USD",
            "reason": "outage",
        },
    )
    assert noted.status_code == 201, noted.text
    assert noted.json()["credited_total"] == "5.38"  # 5.00 + 7.5% (0.375 -> 0.38)
    too_much = client.post(
        f"/reseller/api/customers/{customer}/credit-notes",
        headers=tenant.headers(),
        json={
            "invoice_id": older["invoice_id"],
            "net": "10.00",
            "currency": "USD",
            "reason": "again",
        },
    )
    assert_problem(too_much, 422, "net")
    card = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={
            "amount": "1.00",
            "currency": "USD",
            "method": "card",
            "reference": "4111 1111 1111 1111",
        },
    )
    assert_problem(card, 422, "reference")
    balance = client.get(
        "/reseller/api/ledger/trial-balance",
        params={"wait_for_position": position(noted)},
        headers=tenant.headers(),
    ).json()
    assert balance["balanced"] is True and balance["position_reached"] is True


def test_closed_periods_take_no_postings(client, tenant, isp_headers):
    plan = tariff(client, isp_headers, tenant, "10.00")
    customer, _ = customer_with_service(client, tenant, plan)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    closed = client.post(
        "/reseller/api/books/close", json={"through": yesterday}, headers=tenant.headers()
    )
    assert closed.status_code == 200, closed.text
    backdated = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": "5.00", "currency": "USD", "method": "cash", "effective_date": yesterday},
    )
    assert_problem(backdated, 422, "effective_date")
    today = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": "5.00", "currency": "USD", "method": "cash"},
    )
    assert today.status_code == 201
    assert_problem(
        client.post(
            "/reseller/api/books/close",
            json={"through": TODAY.isoformat()},
            headers=tenant.headers(),
        ),
        422,
        "through",
    )


def test_invoice_and_service_lists(client, tenant, isp_headers):
    plan = tariff(client, isp_headers, tenant, "10.00")
    customer, service = customer_with_service(client, tenant, plan)
    billed = client.post(
        f"/reseller/api/customers/{customer}/invoices", json=period(), headers=tenant.headers()
    )
    invoice = billed.json()
    listed = client.get(
        "/reseller/api/invoices",
        headers=tenant.headers(),
        params={"status": "open", "wait_for_position": position(billed)},
    ).json()
    assert [i["number"] for i in listed] == [invoice["number"]]
    assert listed[0]["outstanding"] == invoice["total"]
    paid = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": invoice["total"], "currency": "USD", "method": "card"},
    )
    settled = client.get(
        "/reseller/api/invoices",
        headers=tenant.headers(),
        params={"status": "settled", "wait_for_position": position(paid)},
    ).json()
    assert [i["invoice_id"] for i in settled] == [invoice["invoice_id"]]
    assert (
        client.get(
            "/reseller/api/invoices", headers=tenant.headers(), params={"status": "open"}
        ).json()
        == []
    )
    active = client.get(
        "/reseller/api/services", headers=tenant.headers(), params={"status": "active"}
    ).json()
    assert [s["service_id"] for s in active] == [service]


def test_billing_cycles_and_payment_plans(client, tenant, isp_headers):
    plan = tariff(client, isp_headers, tenant, "10.00")
    customer, _ = customer_with_service(client, tenant, plan)
    cycle = client.put(
        f"/reseller/api/customers/{customer}/billing-cycle",
        headers=tenant.headers(),
        json={"billing_day": 15},
    )
    assert cycle.status_code == 200 and cycle.json()["billing_day"] == 15
    assert_problem(
        client.put(
            f"/reseller/api/customers/{customer}/billing-cycle",
            headers=tenant.headers(),
            json={"billing_day": 31},
        ),
        422,
        "billing_day",
    )
    billed = client.post(
        f"/reseller/api/customers/{customer}/invoices", json=period(), headers=tenant.headers()
    ).json()
    assert billed["total"] == "10.75"
    agreed = client.post(
        f"/reseller/api/customers/{customer}/payment-plans",
        headers=tenant.headers(),
        json={
            "invoice_ids": [billed["invoice_id"]],
            "installments": 3,
            "first_due_on": NEXT_MONTH[0].isoformat(),
            "interval_days": 30,
        },
    )
    assert agreed.status_code == 201, agreed.text
    schedule = agreed.json()["payment_plans"][agreed.json()["plan_id"]]
    assert [i["amount"] for i in schedule] == ["3.58", "3.58", "3.59"]
    assert {i["status"] for i in schedule} == {"due"}
    paid = client.post(
        f"/reseller/api/customers/{customer}/payments",
        headers=tenant.headers(),
        json={"amount": "3.58", "currency": "USD", "method": "card"},
    ).json()
    statuses = [i["status"] for i in paid["payment_plans"][agreed.json()["plan_id"]]]
    assert statuses == ["paid", "due", "due"]
    assert_problem(
        client.post(
            f"/reseller/api/customers/{customer}/payment-plans",
            headers=tenant.headers(),
            json={
                "invoice_ids": [billed["invoice_id"]],
                "installments": 2,
                "first_due_on": NEXT_MONTH[0].isoformat(),
            },
        ),
        422,
        "invoice_ids",
    )


def test_crypto_payments_only_when_enabled(client, tenant, isp_headers):
    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()["customer_id"]
    body = {"amount": "1.00", "currency": "USD", "method": "crypto", "reference": "0xabc"}
    url = f"/reseller/api/customers/{customer}/payments"
    assert_problem(client.post(url, json=body, headers=tenant.headers()), 422, "method")
    enabled = client.patch(
        "/reseller/api/settings/payments",
        headers=tenant.headers(),
        json={"crypto_payments_enabled": True},
    )
    assert enabled.json()["crypto_payments_enabled"] is True
    assert client.post(url, json=body, headers=tenant.headers()).status_code == 201
