"""Sorting and keyset paging of the customers list (issue 13): every customer exactly once in
each order, cursors that refuse being reused for another sort."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_problem, position, seed_customer


def walk(client: Any, tenant: Any, sort: str, head: int, limit: int = 3) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        params: dict[str, Any] = {"sort": sort, "limit": limit, "wait_for_position": head}
        if after is not None:
            params["after"] = after
        page = client.get("/reseller/api/customers", params=params, headers=tenant.headers())
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        after = page.json()["next_after"]
        if after is None:
            return seen
    raise AssertionError("paging did not end")


def test_each_sort_pages_through_every_customer_once(client, tenant):
    created = [
        client.post(
            "/reseller/api/customers",
            json=seed_customer(tenant.number, email=f"p{i}@example.com"),
            headers=tenant.headers(),
        )
        for i in range(8)
    ]
    assert {c.status_code for c in created} == {201}
    head = position(created[-1])
    ids = [c.json()["customer_id"] for c in created]
    portal_ids = sorted(c.json()["portal_id"] for c in created)
    by_created = walk(client, tenant, "created_at", head)
    assert [c["customer_id"] for c in by_created] == ids
    assert [c["customer_id"] for c in walk(client, tenant, "-created_at", head)] == ids[::-1]
    assert [c["portal_id"] for c in walk(client, tenant, "portal_id", head, 5)] == portal_ids
    assert [c["portal_id"] for c in walk(client, tenant, "-portal_id", head)] == portal_ids[::-1]
    # A page that is exactly full still says where to go on; the next one is empty and final.
    assert len(walk(client, tenant, "created_at", head, limit=4)) == 8


def test_a_cursor_is_refused_where_it_does_not_belong(client, tenant):
    created = [
        client.post(
            "/reseller/api/customers",
            json=seed_customer(tenant.number, email=f"q{i}@example.com"),
            headers=tenant.headers(),
        )
        for i in range(3)
    ]
    head = position(created[-1])
    first = client.get(
        "/reseller/api/customers",
        params={"limit": 1, "wait_for_position": head},
        headers=tenant.headers(),
    ).json()
    cursor = first["next_after"]
    assert cursor
    base = "/reseller/api/customers"
    other_sort = client.get(
        base, params={"after": cursor, "sort": "portal_id"}, headers=tenant.headers()
    )
    assert_problem(other_sort, 422, "after")
    assert_problem(
        client.get(base, params={"after": "not-ours"}, headers=tenant.headers()), 422, "after"
    )
    both = client.get(base, params={"after": cursor, "offset": 1}, headers=tenant.headers())
    assert_problem(both, 422, "offset")
    assert_problem(
        client.get(base, params={"sort": "email"}, headers=tenant.headers()), 422, "sort"
    )
    second = client.get(base, params={"after": cursor, "limit": 1}, headers=tenant.headers())
    assert second.status_code == 200
    assert second.json()["items"][0]["customer_id"] == created[1].json()["customer_id"]
