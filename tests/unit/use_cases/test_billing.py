"""Use cases of the billing context: invoicing a period, payments (with the commissions they
accrue), credit notes and refunds. The world: a Nigerian reseller (7.5% VAT, USD, 10%
commission) selling a 20.00 tariff at wholesale, one customer with the service active since
1 January 2025."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from commands.billing.corrections import CreditNote, Refund, issue_credit_note, issue_refund
from commands.billing.invoicing import BillingPeriod, bill_customer
from commands.billing.payments import CustomerPayment, record_customer_payment
from commands.errors import Forbidden, NotFound, Unprocessable
from domain.access.roles import Role
from domain.billing.customer_account import CustomerAccount, customer_account_id
from domain.commissions.records import Commission
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.ledger.journal import trial_balance
from domain.ledger.money import Money
from tests.support.builders import Tenant
from tests.support.in_memory import event_names, events_since, head

from .steps import (
    JANUARY_1,
    a_customer,
    a_reseller,
    a_tariff,
    an_active_service,
    as_reseller,
    body,
    month,
)

FEBRUARY_2 = JANUARY_1 + timedelta(days=32)


@dataclass
class World:
    reseller: Tenant
    customer: UUID


@pytest.fixture
def world(store) -> World:
    reseller = a_reseller(store)
    tariff = a_tariff(store, reseller.number, price="20.00")
    customer = a_customer(store, reseller.number, now=JANUARY_1)
    an_active_service(store, reseller.number, customer, tariff, since=JANUARY_1)
    return World(reseller, customer)


def _january_invoice(store, world: World) -> dict:
    start, end = month(2025, 1)
    billed = bill_customer(
        store,
        as_reseller(world.reseller.number, now=FEBRUARY_2),
        world.customer,
        BillingPeriod(period_start=start, period_end=end),
    )
    return body(billed)


def _pay(store, world: World, amount: str, payment_id: str = "pay-1") -> dict:
    paid = record_customer_payment(
        store,
        as_reseller(world.reseller.number, now=FEBRUARY_2),
        world.customer,
        CustomerPayment(
            payment_id=payment_id, amount=Decimal(amount), currency="USD", method="bank_transfer"
        ),
    )
    return body(paid)


def test_billing_a_month_issues_a_numbered_invoice_and_charges_the_wholesale(store, world) -> None:
    before = head(store)

    invoice = _january_invoice(store, world)

    assert invoice["number"] == f"{world.reseller.code}-000001"
    assert (invoice["net"], invoice["tax"], invoice["total"]) == ("20.00", "1.50", "21.50")
    assert invoice["outstanding"] == "21.50"
    names = event_names(events_since(store, before))
    assert "CustomerAccount.InvoiceIssued" in names
    assert "CreditAccount.ChargeRecorded" in names
    credit = store.repository.get(credit_account_id(world.reseller.number))
    assert isinstance(credit, CreditAccount)
    assert credit.balance == Money.of("20.00", "USD")


def test_billing_the_same_period_again_issues_nothing(store, world) -> None:
    first = _january_invoice(store, world)
    before = head(store)

    again = _january_invoice(store, world)

    assert again == {
        "customer_id": str(world.customer),
        "invoice_id": first["invoice_id"],
        "already_billed": True,
    }
    assert head(store) == before


def test_an_invoice_posts_balanced_entries(store, world) -> None:
    _january_invoice(store, world)

    issued = [e for e in events_since(store, 0) if isinstance(e, CustomerAccount.InvoiceIssued)]

    assert len(issued) == 1
    assert trial_balance(issued[0].postings) == {"USD": Decimal(0)}


def test_a_payment_settles_the_invoice_and_accrues_the_resellers_commission(store, world) -> None:
    _january_invoice(store, world)

    paid = _pay(store, world, "21.50")

    assert paid["outstanding"] == "0.00"
    assert paid["handling"] == "normal"
    [commission_id] = paid["commissions"]
    commission = store.repository.get(UUID(commission_id))
    assert isinstance(commission, Commission)
    assert commission.reseller_number == world.reseller.number
    assert commission.commission_amount == Money.of("2.15", "USD")  # 10% of 21.50
    assert commission.status == "pending"
    assert commission.hold_until > FEBRUARY_2.date()


def test_a_card_number_in_a_payment_reference_is_refused(store, world) -> None:
    before = head(store)

    with pytest.raises(Unprocessable, match="card numbers") as refused:
        record_customer_payment(
            store,
            as_reseller(world.reseller.number, now=FEBRUARY_2),
            world.customer,
            CustomerPayment(
                amount=Decimal("1.00"),
                currency="USD",
                method="card",
                reference="4111 1111 1111 1111",
            ),
        )

    assert refused.value.field == "reference"
    assert head(store) == before


def test_a_credit_note_reduces_the_invoice_and_records_a_clawback(store, world) -> None:
    invoice = _january_invoice(store, world)
    _pay(store, world, "21.50")
    before = head(store)

    noted = issue_credit_note(
        store,
        as_reseller(world.reseller.number, now=FEBRUARY_2),
        world.customer,
        CreditNote(
            invoice_id=invoice["invoice_id"],
            net=Decimal("5.00"),
            currency="USD",
            reason="outage credit",
        ),
    )

    view = body(noted)
    assert view["credited_total"] == "5.38"  # 5.00 plus 7.5% VAT, rounded half-up
    [account_invoice] = view["invoices"]
    assert account_invoice["credited"] == "5.38"
    assert view["credit_balance"] == "5.38"
    names = event_names(events_since(store, before))
    assert "CustomerAccount.CreditNoteIssued" in names
    clawbacks = [e for e in events_since(store, before) if isinstance(e, Commission.Calculated)]
    # Not tied to a payment: clawed back at the rate in force, 10% of 5.38 cut to the cent.
    assert [c.commission_amount for c in clawbacks] == [Money.of("-0.53", "USD")]


def test_a_credit_note_for_an_unknown_invoice_is_not_found(store, world) -> None:
    with pytest.raises(NotFound) as refused:
        issue_credit_note(
            store,
            as_reseller(world.reseller.number, now=FEBRUARY_2),
            world.customer,
            CreditNote(invoice_id="nope", net=Decimal("1.00"), currency="USD", reason="x"),
        )

    assert refused.value.field == "invoice_id"


def test_a_refund_of_a_payment_inside_its_holding_period_voids_its_commission(store, world) -> None:
    _january_invoice(store, world)
    paid = _pay(store, world, "30.00", payment_id="pay-over")  # 8.50 more than owed
    [commission_id] = paid["commissions"]
    before = head(store)

    refunded = issue_refund(
        store,
        as_reseller(world.reseller.number, now=FEBRUARY_2),
        world.customer,
        Refund(
            amount=Decimal("8.50"), currency="USD", method="bank_transfer", payment_id="pay-over"
        ),
    )

    assert body(refunded)["credit_balance"] == "0.00"
    voided = store.repository.get(UUID(commission_id))
    assert voided.status == "voided"
    # What remains of the payment (21.50) earns its commission again, still pending.
    replacements = [e for e in events_since(store, before) if isinstance(e, Commission.Calculated)]
    assert [(r.commission_amount, r.status) for r in replacements] == [
        (Money.of("2.15", "USD"), "pending")
    ]
    account = store.repository.get(customer_account_id(world.customer))
    assert account.balance == Money.of("0.00", "USD")


def test_a_manager_may_not_issue_a_refund(store, world) -> None:
    _january_invoice(store, world)
    _pay(store, world, "30.00")
    before = head(store)

    with pytest.raises(Forbidden, match="billing_manage"):
        issue_refund(
            store,
            as_reseller(world.reseller.number, Role.MANAGER, now=FEBRUARY_2),
            world.customer,
            Refund(amount=Decimal("1.00"), currency="USD", method="cash"),
        )

    assert head(store) == before
