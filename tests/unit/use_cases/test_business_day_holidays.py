"""With LEDGER_BUSINESS_DAY_HOLIDAYS on, dispute and payout dates count the reseller's
country's holidays; off (the default) they count weekends only, as before."""

from datetime import date

from commands.commissions.disputes import DisputeConfig
from commands.commissions.payouts import PayoutPolicy
from commands.store_access import load
from domain.commissions.disputes import window_closes
from domain.commissions.payout_calendar import dispute_window_end
from domain.ledger.calendar import WEEKENDS_ONLY
from domain.partners.reseller import Reseller, reseller_id
from infra.event_store import LedgerStore

from .steps import a_reseller

CHRISTMAS_EVE = date(2026, 12, 24)  # Thursday


def test_the_reseller_country_calendar_is_used_only_when_switched_on(store: LedgerStore) -> None:
    number = a_reseller(store).number  # country NG: 25 and 26 December are holidays
    reseller = load(store, reseller_id(number), Reseller, "reseller")
    assert DisputeConfig().calendar_of(store, number) == WEEKENDS_ONLY
    assert PayoutPolicy().calendar_for(reseller) == WEEKENDS_ONLY
    on = DisputeConfig(holiday_calendars=True).calendar_of(store, number)
    assert on.country == reseller.country == "NG"
    assert PayoutPolicy(holiday_calendars=True).calendar_for(reseller) == on
    assert window_closes(CHRISTMAS_EVE) == date(2026, 12, 31)
    assert window_closes(CHRISTMAS_EVE, on) == date(2027, 1, 4)  # 28-31 Dec; 1 Jan a holiday
    assert dispute_window_end(CHRISTMAS_EVE, on) == window_closes(CHRISTMAS_EVE, on)
