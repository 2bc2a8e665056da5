"""Long-lived aggregates are snapshotted, and a load from a snapshot equals a full replay."""

from decimal import Decimal

import psycopg

from commands.credit.credit_account import RecordCharge, record_charge
from domain.credit.credit_account import credit_account_id
from tests.support.builders import context, new_reseller


def test_credit_accounts_are_snapshotted_and_load_the_same(store, database_url):
    tenant = new_reseller(store, roles=(), credit_limit="100000.00")
    for i in range(120):
        record_charge(
            store,
            context(),
            tenant.number,
            RecordCharge(amount=Decimal(i + 1), currency="USD", description="load"),
        )
    account_id = credit_account_id(tenant.number)
    with psycopg.connect(database_url) as conn:
        versions = [
            row[0]
            for row in conn.execute(
                "SELECT originator_version FROM ledger_snapshots WHERE originator_id = %s"
                " ORDER BY 1",
                (account_id,),
            )
        ]
    assert versions == [50, 100]
    from_snapshot = store.repository.get(account_id)
    replayed = None
    for event in store.events.get(account_id):
        replayed = event.mutate(replayed)
    assert from_snapshot.version == replayed.version == 121
    assert from_snapshot.balance == replayed.balance
    assert from_snapshot.balance.amount == sum(Decimal(i + 1) for i in range(120))
    assert from_snapshot.open_charges == replayed.open_charges
