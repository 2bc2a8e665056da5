"""Use cases of the partners context: resellers and sub-resellers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commands.errors import Conflict, Forbidden, Unprocessable
from commands.partners.resellers import (
    CreateReseller,
    CreateSubReseller,
    create_reseller,
    create_sub_reseller,
)
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.ledger.money import Money
from domain.partners.reseller import Reseller, reseller_id
from tests.support.in_memory import event_names, events_since, head

from .steps import a_reseller, as_isp, as_reseller, body


def test_the_isp_creates_a_reseller_with_its_number_code_and_credit_account(store) -> None:
    command = CreateReseller(
        reseller_code="abc_isp",
        name="ABC Internet Services",
        country="NG",
        currency="NGN",
        credit_limit=Decimal("5000.00"),
        commission_percent=Decimal("8.00"),
    )

    created = create_reseller(store, as_isp(), command)

    assert created.status_code == 201
    view = body(created)
    assert view["reseller_id"] == 1
    assert view["reseller_code"] == "ABC_ISP"
    assert view["credit_limit"] == "5000.00"
    assert event_names(events_since(store, 0)) == [
        "ResellerRegistry.Created",
        "ResellerRegistry.NumberAllocated",
        "ResellerCode.Created",
        "Reseller.Created",
        "Reseller.TermsSet",
        "Reseller.BusinessStartSet",
        "CreditAccount.Opened",
    ]
    account = store.repository.get(credit_account_id(1))
    assert isinstance(account, CreditAccount)
    assert account.credit_limit.amount == Decimal("5000.00")
    assert account.currency == "NGN"
    assert created.position == head(store)


def test_reseller_numbers_are_allocated_in_order(store) -> None:
    assert [a_reseller(store).number for _ in range(3)] == [1, 2, 3]


def test_a_reseller_code_is_taken_once_and_a_refusal_writes_nothing(store) -> None:
    first = a_reseller(store)
    before = head(store)

    with pytest.raises(Conflict, match="is taken"):
        create_reseller(
            store,
            as_isp(),
            CreateReseller(reseller_code=first.code, name="Copycat", country="NG", currency="USD"),
        )

    assert head(store) == before


def test_only_the_isp_creates_top_level_resellers(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    with pytest.raises(Forbidden):
        create_reseller(
            store,
            as_reseller(reseller.number),
            CreateReseller(reseller_code="SELFMADE", name="x", country="NG", currency="USD"),
        )

    assert head(store) == before


def test_a_reseller_admin_creates_a_sub_reseller_carved_out_of_its_own_credit(store) -> None:
    parent = a_reseller(store, credit_limit="1000.00")

    created = create_sub_reseller(
        store,
        as_reseller(parent.number),
        CreateSubReseller(name="Regional Partner", credit_limit=Decimal("300.00")),
    )

    child = body(created)
    assert child["parent_reseller_id"] == parent.number
    assert child["level"] == 1  # the top level is 0
    # Inherited from the parent, not given.
    assert (child["country"], child["currency"]) == ("NG", "USD")
    parent_reseller = store.repository.get(reseller_id(parent.number))
    assert isinstance(parent_reseller, Reseller)
    assert parent_reseller.children == [child["reseller_id"]]
    parent_account = store.repository.get(credit_account_id(parent.number))
    assert parent_account.delegations == {str(child["reseller_id"]): Money.of("300.00", "USD")}
    assert parent_account.available(datetime.now(UTC)) == Money.of("700.00", "USD")
    child_account = store.repository.get(credit_account_id(child["reseller_id"]))
    assert child_account.credit_limit == Money.of("300.00", "USD")


def test_a_sub_reseller_cannot_get_more_credit_than_its_parent_has_left(store) -> None:
    parent = a_reseller(store, credit_limit="1000.00")
    before = head(store)

    with pytest.raises(Unprocessable, match=r"at most 1000\.00") as refused:
        create_sub_reseller(
            store,
            as_reseller(parent.number),
            CreateSubReseller(name="Greedy", credit_limit=Decimal("1000.01")),
        )

    assert refused.value.field == "credit_limit"
    assert head(store) == before


def test_a_sub_reseller_at_the_wrong_level_is_refused(store) -> None:
    parent = a_reseller(store)
    before = head(store)

    with pytest.raises(Unprocessable) as refused:
        create_sub_reseller(
            store, as_reseller(parent.number), CreateSubReseller(name="Too deep", level=2)
        )

    assert refused.value.field == "level"
    assert head(store) == before
