"""Use cases of the credit context: the reseller's credit account with the ISP (wholesale
charges, payments, emergency credit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    RequestEmergencyCredit,
    grant_emergency_credit,
    record_charge,
    record_payment,
    request_emergency_credit,
)
from commands.errors import Forbidden, Unprocessable
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.ledger.journal import trial_balance
from domain.ledger.money import Money
from tests.support.in_memory import event_names, events_since, head

from .steps import a_reseller, as_isp, as_reseller, body

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def _charge(store, number: int, amount: str) -> dict:
    charged = record_charge(
        store,
        as_isp(now=NOW),
        number,
        RecordCharge(amount=Decimal(amount), currency="USD", description="Wholesale bandwidth"),
    )
    return body(charged)


def test_the_isp_records_a_wholesale_charge_against_the_resellers_limit(store) -> None:
    reseller = a_reseller(store, credit_limit="1000.00")
    before = head(store)

    view = _charge(store, reseller.number, "800.00")

    assert (view["balance"], view["available"], view["utilization"]) == (
        "800.00",
        "200.00",
        "0.8000",
    )
    assert view["state"] == "warning"
    recorded = events_since(store, before)
    assert event_names(recorded)[0] == "CreditAccount.ChargeRecorded"
    assert trial_balance(recorded[0].postings) == {"USD": Decimal(0)}


def test_a_reseller_cannot_charge_its_own_credit_account(store) -> None:
    reseller = a_reseller(store)

    with pytest.raises(Forbidden, match="credit_charge"):
        record_charge(
            store,
            as_reseller(reseller.number),
            reseller.number,
            RecordCharge(amount=Decimal("1.00"), currency="USD", description="x"),
        )


def test_a_charge_in_another_currency_is_refused(store) -> None:
    reseller = a_reseller(store)
    before = head(store)

    with pytest.raises(Unprocessable):
        record_charge(
            store,
            as_isp(now=NOW),
            reseller.number,
            RecordCharge(amount=Decimal("1.00"), currency="EUR", description="x"),
        )

    assert head(store) == before


def test_a_reseller_pays_its_credit_account(store) -> None:
    reseller = a_reseller(store)
    _charge(store, reseller.number, "300.00")

    paid = record_payment(
        store,
        as_reseller(reseller.number, now=NOW),
        reseller.number,
        RecordPayment(amount=Decimal("120.00"), currency="USD", method="bank_transfer"),
    )

    view = body(paid)
    assert (view["balance"], view["paid_total"]) == ("180.00", "120.00")


def test_only_the_isp_records_an_offset_payment(store) -> None:
    reseller = a_reseller(store)
    _charge(store, reseller.number, "300.00")

    with pytest.raises(Forbidden, match="only the master ISP") as refused:
        record_payment(
            store,
            as_reseller(reseller.number, now=NOW),
            reseller.number,
            RecordPayment(amount=Decimal("50.00"), currency="USD", method="offset"),
        )

    assert refused.value.field == "method"


def test_emergency_credit_is_requested_by_the_reseller_and_granted_by_the_isp(store) -> None:
    reseller = a_reseller(store, credit_limit="1000.00")
    _charge(store, reseller.number, "1000.00")
    request_emergency_credit(
        store,
        as_reseller(reseller.number, now=NOW),
        reseller.number,
        RequestEmergencyCredit(amount=Decimal("250.00"), currency="USD", reason="peak season"),
    )
    account = store.repository.get(credit_account_id(reseller.number))
    [request_id] = account.emergency_requests

    granted = grant_emergency_credit(store, as_isp(now=NOW), reseller.number, request_id)

    view = body(granted)
    assert view["effective_limit"] == "1250.00"
    assert view["available"] == "250.00"
    assert view["emergency_credit"] == {
        "amount": "250.00",
        "expires_at": (NOW + timedelta(hours=48)).isoformat(),
        "active": True,
    }
    account = store.repository.get(credit_account_id(reseller.number))
    assert isinstance(account, CreditAccount)
    assert account.emergency_requests[request_id]["status"] == "granted"
    assert account.effective_limit(NOW + timedelta(hours=49)) == Money.of("1000.00", "USD")


def test_emergency_credit_above_a_quarter_of_the_limit_is_refused(store) -> None:
    reseller = a_reseller(store, credit_limit="1000.00")
    before = head(store)

    with pytest.raises(Unprocessable, match="at most 25%"):
        request_emergency_credit(
            store,
            as_reseller(reseller.number, now=NOW),
            reseller.number,
            RequestEmergencyCredit(amount=Decimal("250.01"), currency="USD", reason="more"),
        )

    assert head(store) == before


def test_a_reseller_cannot_grant_its_own_emergency_credit(store) -> None:
    reseller = a_reseller(store)
    request_emergency_credit(
        store,
        as_reseller(reseller.number, now=NOW),
        reseller.number,
        RequestEmergencyCredit(amount=Decimal("10.00"), currency="USD", reason="x"),
    )
    [request_id] = store.repository.get(credit_account_id(reseller.number)).emergency_requests

    with pytest.raises(Forbidden):
        grant_emergency_credit(store, as_reseller(reseller.number), reseller.number, request_id)

    account = store.repository.get(credit_account_id(reseller.number))
    assert account.emergency_requests[request_id]["status"] == "pending"
    assert "CreditAccount.EmergencyCreditGranted" not in event_names(events_since(store, 0))
