from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.credit.credit_account import CreditAccount
from domain.customers.customer import ALLOWED_TRANSITIONS, Customer
from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.journal import trial_balance
from domain.ledger.money import Money
from domain.partners.reseller import Reseller


def person(**overrides):
    fields = dict(
        reseller_number=1,
        tenant_number=1,
        portal_id="ABC-000001",
        customer_type="person",
        first_name="John",
        last_name="Doe",
        company_name=None,
        email="John@Example.com",
        phone="+1234567890",
        address="123 Main St",
        city="Lagos",
        portal_credentials_requested=True,
    )
    fields.update(overrides)
    return Customer.register(**fields)


def test_a_new_customer_starts_as_new_with_a_normalised_email():
    customer = person()
    assert customer.status == "new"
    assert customer.email.text == "john@example.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_type", "alien"),
        ("email", "not-an-email"),
        ("phone", "call me"),
        ("last_name", None),
        ("first_name", "x" * 101),
    ],
)
def test_invalid_customers_are_refused_naming_the_field(field, value):
    with pytest.raises(DomainError) as refused:
        person(**{field: value})
    assert refused.value.field in (field, "last_name")


def test_every_allowed_transition_works_and_every_other_is_refused():
    for start, targets in ALLOWED_TRANSITIONS.items():
        for target in ("new", "pending", "active", "suspended", "inactive"):
            customer = person()
            path = {
                "new": [],
                "pending": ["pending"],
                "active": ["active"],
                "suspended": ["active", "suspended"],
                "inactive": ["inactive"],
            }[start]
            for step in path:
                customer.change_status(step, None)
            assert customer.status == start
            if target in targets:
                customer.change_status(target, "because")
                assert customer.status == target
            else:
                with pytest.raises(InvalidTransition):
                    customer.change_status(target, None)


def test_inactive_is_permanent():
    customer = person()
    customer.change_status("inactive", "closed")
    assert ALLOWED_TRANSITIONS["inactive"] == frozenset()
    with pytest.raises(InvalidTransition):
        customer.change_status("active", None)


def test_portal_ids_are_sequential_per_reseller():
    reseller = Reseller.register(7, "abc_isp", "ABC", "NG", "NGN", None)
    assert reseller.code == "ABC_ISP"
    assert [reseller.next_portal_id() for _ in range(3)] == [
        "ABC_ISP-000001",
        "ABC_ISP-000002",
        "ABC_ISP-000003",
    ]


def test_sub_resellers_inherit_the_tenant_of_their_root():
    root = Reseller.register(1, "ROOT", "Root", "NG", "NGN", None)
    child = Reseller.register(2, "CHILD", "Child", "NG", "NGN", root)
    grandchild = Reseller.register(3, "GRAND", "Grand", "NG", "NGN", child)
    assert (child.root_number, grandchild.root_number, grandchild.level) == (1, 1, 2)


def test_credit_account_balance_and_postings_come_from_its_events():
    account = CreditAccount.open(1, 1, Money.of("1000", "USD"))
    account.record_charge(Money.of("250.50", "USD"), "wholesale", None, date(2026, 1, 31))
    account.record_payment(Money.of("100", "USD"), "bank_transfer", "TX1", date(2026, 2, 2))
    assert account.balance == Money.of("150.50", "USD")
    assert account.utilization(datetime(2026, 2, 3, tzinfo=UTC)) == Decimal("0.1505")
    events = account.collect_events()
    postings = [p for e in events for p in getattr(e, "postings", [])]
    assert len(postings) == 4
    assert trial_balance(postings) == {"USD": Decimal("0.00")}
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed.balance == Money.of("150.50", "USD")


def test_credit_account_refuses_other_currencies_and_non_positive_amounts():
    account = CreditAccount.open(1, 1, Money.of("1000", "USD"))
    with pytest.raises(DomainError) as refused:
        account.record_charge(Money.of("1", "EUR"), "x", None, date(2026, 1, 1))
    assert refused.value.field == "currency"
    with pytest.raises(DomainError):
        account.record_payment(Money.of("0", "USD"), "cash", None, date(2026, 1, 1))
    with pytest.raises(DomainError):
        account.record_payment(Money.of("1", "USD"), "cheque", None, date(2026, 1, 1))


@pytest.mark.parametrize(
    ("day", "on", "start", "end"),
    [
        (1, date(2026, 3, 10), date(2026, 3, 1), date(2026, 3, 31)),
        (15, date(2026, 3, 10), date(2026, 2, 15), date(2026, 3, 14)),
        (15, date(2026, 3, 15), date(2026, 3, 15), date(2026, 4, 14)),
        (28, date(2026, 1, 5), date(2025, 12, 28), date(2026, 1, 27)),
        (28, date(2026, 2, 28), date(2026, 2, 28), date(2026, 3, 27)),
    ],
)
def test_billing_cycle_periods(day, on, start, end):
    from domain.customers.customer import cycle_period

    assert cycle_period(day, on) == (start, end)
