"""8 concurrent clients on one credit account: no lost update; the balance is the sum of what
was accepted, the account's event count matches, and the journal stays balanced."""

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    record_charge,
    record_payment,
)
from commands.errors import Conflict
from domain.access.roles import Role
from domain.credit.credit_account import CreditAccount, credit_account_id
from tests.support.builders import context, new_reseller, reseller_principal

CLIENTS = 8
COMMANDS_PER_CLIENT = 40


def test_eight_clients_hammering_one_credit_account(store):
    tenant = new_reseller(store, currency="USD", credit_limit="100000.00", roles=())
    admin = reseller_principal(tenant.number, Role.ADMIN)

    def client(seed: int) -> tuple[Decimal, int, int]:
        rng = random.Random(seed)
        net, accepted, conflicts = Decimal(0), 0, 0
        for _ in range(COMMANDS_PER_CLIENT):
            amount = Decimal(rng.randint(1, 100_000)) / 100
            try:
                if rng.random() < 0.5:
                    record_charge(
                        store,
                        context(),
                        tenant.number,
                        RecordCharge(amount=amount, currency="USD", description="load"),
                    )
                    net += amount
                else:
                    record_payment(
                        store,
                        context(admin),
                        tenant.number,
                        RecordPayment(amount=amount, currency="USD", method="card"),
                    )
                    net -= amount
                accepted += 1
            except Conflict:
                conflicts += 1
        return net, accepted, conflicts

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    expected = sum((net for net, _, _ in results), Decimal(0))
    accepted = sum(a for _, a, _ in results)
    account = store.repository.get(credit_account_id(tenant.number))
    assert isinstance(account, CreditAccount)
    assert account.balance.amount == expected
    assert account.version == 1 + accepted  # opened + one event per accepted command
    assert accepted >= CLIENTS * COMMANDS_PER_CLIENT * 0.9, results
    assert account.charged_total - account.paid_total == account.balance
