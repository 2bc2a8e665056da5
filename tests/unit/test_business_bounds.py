"""Pure rules: business-date bounds, holding from the recording day, credit delegated to
sub-resellers, and netting payment methods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.commissions.payment_commissions import holding_ends
from domain.credit.credit_account import CreditAccount, payment_method_refusal
from domain.ledger.errors import DomainError
from domain.ledger.money import Money
from domain.partners.reseller import Reseller

TODAY = date(2027, 3, 15)
NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)


def _reseller(opened_on: date) -> Reseller:
    reseller = Reseller.register(
        number=1, code="BOUNDS", name="Bounds", country="NG", currency="USD", parent=None
    )
    reseller.set_business_start(opened_on, TODAY, None)
    return reseller


def test_business_dates_are_bounded() -> None:
    reseller = _reseller(date(2027, 1, 1))
    assert reseller.business_date_refusal(TODAY, TODAY) is None
    assert reseller.business_date_refusal(date(2027, 1, 1), TODAY) is None
    assert reseller.business_date_refusal(date(1900, 1, 1), TODAY) is not None
    assert reseller.business_date_refusal(TODAY + timedelta(days=1), TODAY) is not None
    assert reseller.business_date_refusal(TODAY + timedelta(days=1), TODAY, True) is None
    reseller.close_books(date(2027, 1, 31), TODAY)
    assert reseller.business_date_refusal(date(2027, 1, 31), TODAY) is not None
    assert reseller.business_date_refusal(date(2027, 2, 1), TODAY) is None


def test_a_business_start_is_never_in_the_future_nor_before_the_parents() -> None:
    with pytest.raises(DomainError) as future:
        _reseller(TODAY + timedelta(days=1))
    assert future.value.field == "opened_on"
    parent = _reseller(date(2026, 1, 1))
    child = Reseller.register(
        number=2, code="CHILD", name="Child", country="NG", currency="USD", parent=parent
    )
    with pytest.raises(DomainError):
        child.set_business_start(date(2025, 12, 31), TODAY, parent)
    child.set_business_start(date(2026, 1, 1), TODAY, parent)
    assert child.opened_on == date(2026, 1, 1)


def test_holding_runs_from_the_recording_day() -> None:
    thirty = timedelta(days=30)
    assert holding_ends(date(1900, 1, 1), TODAY, thirty) == TODAY + thirty
    assert holding_ends(TODAY, TODAY, thirty) == TODAY + thirty


def test_children_never_exceed_what_the_parent_is_allowed() -> None:
    account = CreditAccount.open(1, 1, Money(Decimal("1000.00"), "USD"))
    account.record_charge(Money(Decimal("300.00"), "USD"), "wholesale", None, TODAY, NOW)
    with pytest.raises(DomainError) as refused:
        account.delegate_to_child(2, Money(Decimal("700.01"), "USD"), NOW)
    assert refused.value.field == "credit_limit"
    account.delegate_to_child(2, Money(Decimal("700.00"), "USD"), NOW)
    assert account.available(NOW) == Money(Decimal("0.00"), "USD")
    with pytest.raises(DomainError):
        account.delegate_to_child(3, Money(Decimal("0.01"), "USD"), NOW)
    account.delegate_to_child(3, Money(Decimal("0.00"), "USD"), NOW)  # a zero limit is fine


def test_netting_is_the_isps_alone() -> None:
    assert payment_method_refusal("offset", recorded_by_isp=False) is not None
    assert payment_method_refusal("offset", recorded_by_isp=True) is None
    assert payment_method_refusal("bank_transfer", recorded_by_isp=False) is None
