"""The closed-books rule, as the Reseller aggregate holds it (no database): once the books are
closed through a day, no money event may be dated on or before it, the open period stays
open, and the books only ever close forward, through a day that has ended."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger.errors import DomainError
from domain.partners.reseller import Reseller

TODAY = date(2027, 3, 15)
OPENED_ON = date(2026, 1, 1)
open_days = st.integers(min_value=1, max_value=(TODAY - OPENED_ON).days)
"""How many days before today the books are closed through (so: a day that has ended)."""


def _reseller() -> Reseller:
    reseller = Reseller.register(
        number=1, code="BOOKS", name="Books", country="NG", currency="USD", parent=None
    )
    reseller.set_business_start(OPENED_ON, TODAY, None)
    return reseller


@given(open_days, st.integers(min_value=0, max_value=(TODAY - OPENED_ON).days))
def test_closed_days_refuse_money_events_and_open_days_take_them(closed_back, day_back):
    reseller = _reseller()
    through = TODAY - timedelta(days=closed_back)
    reseller.close_books(through, TODAY)
    day = TODAY - timedelta(days=day_back)
    refusal = reseller.business_date_refusal(day, TODAY)
    if day <= through:
        assert refusal is not None
        assert "the books are closed through" in refusal
    else:
        assert refusal is None


@given(st.integers(min_value=0, max_value=5))
def test_only_a_period_that_has_ended_can_be_closed(days_ahead):
    reseller = _reseller()
    with pytest.raises(DomainError) as refused:
        reseller.close_books(TODAY + timedelta(days=days_ahead), TODAY)
    assert refused.value.field == "through"
    assert reseller.books_closed_through is None


@given(open_days, open_days)
def test_the_books_close_forward_only(first_back, second_back):
    reseller = _reseller()
    first = TODAY - timedelta(days=first_back)
    second = TODAY - timedelta(days=second_back)
    reseller.close_books(first, TODAY)
    if second > first:
        reseller.close_books(second, TODAY)
        assert reseller.books_closed_through == second
    else:
        with pytest.raises(DomainError) as refused:
            reseller.close_books(second, TODAY)
        assert refused.value.field == "through"
        assert reseller.books_closed_through == first
