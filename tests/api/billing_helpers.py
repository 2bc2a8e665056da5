from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from commands.billing.cycles import month_of

TODAY = date.today()
NEXT_MONTH = month_of((TODAY.replace(day=1) + timedelta(days=32)).replace(day=1))


def period(start: date = NEXT_MONTH[0], end: date = NEXT_MONTH[1]) -> dict[str, str]:
    return {"period_start": start.isoformat(), "period_end": end.isoformat()}


def tariff(client: Any, isp: dict[str, str], tenant: Any, price: str = "20.00",
           service_type: str = "internet") -> int:  # fmt: skip
    made = client.post(
        "/reseller/api/tariffs",
        headers=isp,
        json={
            "service_type": service_type,
            "name": f"Plan {price}",
            "wholesale_price": price,
            "currency": tenant.currency,
        },
    )
    assert made.status_code == 201, made.text
    number = made.json()["tariff_id"]
    authorized = client.post(
        f"/reseller/api/resellers/{tenant.number}/tariffs", headers=isp, json={"tariff_id": number}
    )
    assert authorized.status_code == 200, authorized.text
    return int(number)


def customer_with_service(client: Any, tenant: Any, tariff_id: int) -> tuple[str, str]:
    from tests.api.helpers import seed_customer

    customer = client.post(
        "/reseller/api/customers", json=seed_customer(tenant.number), headers=tenant.headers()
    ).json()["customer_id"]
    service = client.post(
        f"/reseller/api/customers/{customer}/services",
        json={"tariff_id": tariff_id},
        headers=tenant.headers(),
    )
    assert service.status_code == 201, service.text
    service_id = service.json()["service_id"]
    active = client.post(
        f"/reseller/api/services/{service_id}/status",
        json={"status": "active"},
        headers=tenant.headers(),
    )
    assert active.status_code == 200, active.text
    return customer, service_id
