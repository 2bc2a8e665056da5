"""Generated invoice/payment/credit-note/refund sequences through the command layer and the real
store: the billing read model's invoice balances equal the customer account recomputed from its
events, and the reseller's books balance."""

import json
import time
import uuid
from datetime import date
from decimal import Decimal

import psycopg
from eventsourcing.application import AggregateNotFoundError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.billing.corrections import CreditNote, Refund, issue_credit_note, issue_refund
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.customers.customers import CreateCustomer, create_customer
from commands.errors import CommandError
from commands.runner import Outcome, run_command
from domain.billing.customer_account import CustomerAccount, customer_account_id
from domain.billing.invoice_lines import price_line
from domain.ledger.money import Money
from projections.base import has_reached
from projections.billing.billing import BillingProjector
from projections.ledger.journal import JournalProjector, trial_balance
from tests.support.builders import context, new_reseller

ops = st.lists(
    st.tuples(
        st.sampled_from(["invoice", "payment", "credit_note", "refund"]), st.integers(1, 50_000)
    ),
    min_size=1,
    max_size=15,
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=ops)
def test_read_model_balances_equal_the_events(store, database_url, store_feed, steps):
    tenant = new_reseller(store, roles=())
    created = create_customer(
        store,
        context(),
        CreateCustomer(
            customer_type="person", first_name="P", last_name="Q", reseller_id=tenant.number
        ),
    )
    customer = uuid.UUID(json.loads(created.body)["customer_id"])
    invoices = 0
    position = created.position
    for kind, minor in steps:
        amount = str(Decimal(minor) / 100)
        try:
            if kind == "invoice":
                invoices += 1
                number = f"{tenant.code}-P{invoices}"

                def handle(amount=amount, number=number):
                    account_id = customer_account_id(customer)
                    try:
                        account = store.repository.get(account_id)
                    except AggregateNotFoundError:
                        account = CustomerAccount(customer, tenant.number, tenant.number, "USD")
                    line = price_line(
                        "svc", Decimal(1), Money.of(amount, "USD"), Decimal("7.5"), None
                    )
                    account.issue_invoice(
                        f"inv-{uuid.uuid4()}", number, date.today(), [line], Decimal("7.5")
                    )
                    return Outcome([account], {}, tenant.number, tenant.number)

                position = run_command(store, context(), handle, number).position
                continue
            if kind == "payment":
                result = record_customer_payment(
                    store,
                    context(),
                    customer,
                    CustomerPayment(amount=amount, currency="USD", method="card"),
                )
            elif kind == "refund":
                result = issue_refund(
                    store, context(), customer, Refund(amount=amount, currency="USD", method="cash")
                )
            else:
                account = store.repository.get(customer_account_id(customer))
                target = sorted(account.invoices)[0]
                result = issue_credit_note(
                    store,
                    context(),
                    customer,
                    CreditNote(invoice_id=target, net=amount, currency="USD", reason="x"),
                )
            position = result.position or position
        except (CommandError, KeyError, IndexError):
            pass
        except Exception as error:
            if "AggregateNotFound" not in type(error).__name__:
                raise
    with psycopg.connect(database_url, autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while not (
            has_reached(conn, BillingProjector, position, None)
            and has_reached(conn, JournalProjector, position, None)
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        rows = conn.execute(
            "SELECT invoice_id, outstanding FROM proj_billing.invoices WHERE customer_id = %s",
            (customer,),
        ).fetchall()
        balances = trial_balance(conn, tenant.number)
    try:
        account = store.repository.get(customer_account_id(customer))
    except Exception:
        assert rows == []
        return
    assert {r[0]: r[1] for r in rows} == {
        k: v["outstanding"].amount for k, v in account.invoices.items()
    }
    assert all(total == 0 for total in balances.values())
