"""Random sequences of invoices, payments, credit notes and refunds on customer accounts, and
of charges and payments on a credit account: every entry balances, the trial balance is zero
per currency, no invoice is paid or credited beyond its total, payments settle the oldest open
item first, and every balance equals the one recomputed from the events alone."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.billing.customer_account import CustomerAccount
from domain.billing.invoice_lines import price_line
from domain.credit.credit_account import CreditAccount
from domain.ledger.errors import DomainError
from domain.ledger.journal import JournalEntry, trial_balance
from domain.ledger.money import Money

steps = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.integers(1, 500_000), st.sampled_from(["0", "7.5", "20"])),
        st.tuples(st.just("payment"), st.integers(1, 800_000), st.just("")),
        st.tuples(st.just("credit_note"), st.integers(1, 300_000), st.integers(0, 20)),
        st.tuples(st.just("refund"), st.integers(1, 300_000), st.just("")),
    ),
    max_size=40,
)


def replay(events):
    account = None
    for event in events:
        account = event.mutate(account)
    return account


@settings(max_examples=300)
@given(steps, st.sampled_from(["USD", "JPY", "BHD"]))
def test_customer_account_invariants(ops, currency):
    account = CustomerAccount(uuid4(), 1, 1, currency)
    scale = Decimal(1).scaleb(-{"USD": 2, "JPY": 0, "BHD": 3}[currency])
    events = list(account.collect_events())
    day = date(2026, 1, 1)
    issued = 0
    for kind, minor, extra in ops:
        amount = Money(Decimal(minor) * scale, currency)
        day += timedelta(days=1)
        before = {k: dict(v) for k, v in account.invoices.items()}
        try:
            if kind == "invoice":
                issued += 1
                line = price_line("service", Decimal(1), amount, Decimal(extra), None)
                account.issue_invoice(
                    f"inv-{issued}", f"N{issued:04d}", day, [line], Decimal(extra)
                )
            elif kind == "payment":
                account.receive_payment(str(uuid4()), amount, "card", None, day)
                new = account.collect_events()[-1]
                # Oldest first: every invoice older than the newest one touched was settled.
                touched = [a["invoice_id"] for a in new.allocations]
                if touched:
                    order = sorted(before.values(), key=lambda i: (i["issued_on"], i["number"]))
                    last = max(
                        order.index(next(i for i in order if i["invoice_id"] == t)) for t in touched
                    )
                    for older in order[:last]:
                        assert account.invoices[older["invoice_id"]]["outstanding"].is_zero
                events.append(new)
                continue
            elif kind == "credit_note":
                if not account.invoices:
                    continue
                target = sorted(account.invoices)[extra % len(account.invoices)]
                account.issue_credit_note(str(uuid4()), target, amount, "goodwill", day)
            else:
                account.refund(str(uuid4()), amount, "bank_transfer", day)
        except DomainError:
            pass
        events.extend(account.collect_events())

    postings = [p for e in events for p in getattr(e, "postings", [])]
    for event in events:
        if getattr(event, "postings", None):
            JournalEntry(tuple(event.postings))
    assert all(v == 0 for v in trial_balance(postings).values())
    for invoice in account.invoices.values():
        assert not invoice["outstanding"].amount < 0
        assert invoice["paid"] + invoice["credited"] - (
            invoice["total"] - invoice["outstanding"]
        ) >= Money.zero(currency)
        assert invoice["credited"] <= invoice["total"]
        assert invoice["total"] - invoice["outstanding"] <= invoice["total"]
    assert not account.credit_balance.amount < 0
    # The account's balance equals the receivable net of customer credit, from postings alone.
    receivable = sum(
        (p.signed_amount for p in postings if p.account.startswith("assets:customer_")), Decimal(0)
    )
    credit_on_hand = -sum(
        (p.signed_amount for p in postings if p.account.startswith("liabilities:customer_credit")),
        Decimal(0),
    )
    assert receivable == account.outstanding.amount
    assert credit_on_hand == account.credit_balance.amount
    rebuilt = replay(events)
    assert rebuilt.invoices == account.invoices
    assert rebuilt.credit_balance == account.credit_balance


@settings(max_examples=200)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 10**7)), max_size=40))
def test_credit_account_payments_settle_the_oldest_charges_first(ops):
    account = CreditAccount.open(1, 1, Money.of("100000", "USD"))
    events = list(account.collect_events())
    day = date(2026, 1, 1)
    for is_charge, minor in ops:
        amount = Money.from_minor(minor, "USD")
        day += timedelta(days=1)
        if is_charge:
            account.record_charge(amount, "wholesale", None, day)
        else:
            before = sorted(
                account.open_charges.values(),
                key=lambda c: (c["effective_date"], int(c["charge_id"].split("-")[1])),
            )
            allocations = account.record_payment(amount, "bank_transfer", None, day)
            for allocation, charge in zip(allocations, before, strict=False):
                assert allocation["charge_id"] == charge["charge_id"]
            for allocation in allocations[:-1]:
                assert allocation["charge_id"] not in account.open_charges
        events.extend(account.collect_events())
    open_total = sum((c["outstanding"].amount for c in account.open_charges.values()), Decimal(0))
    assert open_total - account.unapplied.amount == account.balance.amount
    assert open_total == 0 or account.unapplied.is_zero
    postings = [p for e in events for p in getattr(e, "postings", [])]
    assert all(v == 0 for v in trial_balance(postings).values())
    assert replay(events).balance == account.balance
