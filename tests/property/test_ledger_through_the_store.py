"""Generated command sequences through the real command layer, store and projections: every
recorded entry balances, the trial balance is exactly zero per currency, and each balance in the
read models equals the balance recomputed from the events."""

import time
from decimal import Decimal

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    record_charge,
    record_payment,
)
from domain.access.roles import Role
from domain.credit.credit_account import credit_account_id
from domain.ledger.journal import JournalEntry
from projections.base import has_reached
from projections.credit.credit_accounts import CreditAccountsProjector, get_credit_account
from projections.ledger.journal import JournalProjector, account_balances, trial_balance
from tests.support.builders import context, new_reseller, reseller_principal

CURRENCIES = {"USD": 2, "JPY": 0, "BHD": 3}

operations = st.lists(
    st.tuples(st.sampled_from(["charge", "payment"]), st.integers(1, 10**9)),
    min_size=1,
    max_size=25,
)


def wait_projected(url, position):
    deadline = time.monotonic() + 30
    with psycopg.connect(url, autocommit=True) as conn:
        while not all(
            has_reached(conn, p, position, None)
            for p in (JournalProjector, CreditAccountsProjector)
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(currency=st.sampled_from(sorted(CURRENCIES)), ops=operations)
def test_books_balance_and_read_models_match_the_events(
    store, database_url, store_feed, currency, ops
):
    tenant = new_reseller(store, currency=currency, roles=())
    admin = reseller_principal(tenant.number, Role.ADMIN)
    scale = Decimal(1).scaleb(-CURRENCIES[currency])
    expected = Decimal(0)
    for kind, minor in ops:
        amount = Decimal(minor) * scale
        if kind == "charge":
            result = record_charge(
                store,
                context(),
                tenant.number,
                RecordCharge(amount=amount, currency=currency, description="x"),
            )
            expected += amount
        else:
            result = record_payment(
                store,
                context(admin),
                tenant.number,
                RecordPayment(amount=amount, currency=currency, method="cash"),
            )
            expected -= amount
    wait_projected(database_url, result.position)

    events = store.events.get(credit_account_id(tenant.number))
    for event in events:
        if hasattr(event, "postings"):
            JournalEntry(tuple(event.postings))
    aggregate = store.repository.get(credit_account_id(tenant.number))
    assert aggregate.balance.amount == expected
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert trial_balance(conn, tenant.number) == {currency: Decimal(0)}
        assert get_credit_account(conn, tenant.number)["balance"] == str(aggregate.balance.amount)
        receivable = {
            row["account"]: Decimal(row["balance"]) for row in account_balances(conn, tenant.number)
        }
        assert receivable[f"assets:reseller_receivable:{tenant.number}"] == expected
        everything = trial_balance(conn)
    assert all(total == 0 for total in everything.values())
