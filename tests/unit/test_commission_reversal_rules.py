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
