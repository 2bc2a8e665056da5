"""Void versus clawback, as a pure rule: inside the holding period while every record is still
pending the records are voided; otherwise the amount is clawed back."""

from domain.commissions.payment_commissions import reversal_outcome


def test_inside_the_holding_period_pending_records_are_voided() -> None:
    assert reversal_outcome(True, ["pending", "pending"]) == "voided"
    assert reversal_outcome(True, []) == "voided"


def test_after_the_holding_period_or_once_a_record_moved_on_it_is_a_clawback() -> None:
    assert reversal_outcome(False, ["pending"]) == "clawed_back"
    assert reversal_outcome(True, ["pending", "cleared"]) == "clawed_back"
    assert reversal_outcome(True, ["approved"]) == "clawed_back"


def test_the_holding_period_is_a_value_passed_in() -> None:
    from datetime import timedelta

    import pytest

    from commands.commissions.accrual import holding_period
    from domain.commissions.payment_commissions import CommissionSettings
    from tests.support.in_memory import in_memory_store

    assert CommissionSettings().holding_period == timedelta(days=30)
    assert CommissionSettings(7).holding_period == timedelta(days=7)
    for absurd in (-1, 366):
        with pytest.raises(ValueError):
            CommissionSettings(absurd)
    store = in_memory_store()
    try:
        assert holding_period(store) == timedelta(days=30)
        store.commission_settings = CommissionSettings(7)
        assert holding_period(store) == timedelta(days=7)
    finally:
        store.close()
