"""Which events notify a customer, and the default recipients port (the customer's e-mail)."""

from domain.notifications.customer_notices import (
    CustomerRef,
    NoticeType,
    Recipient,
    RecipientsOf,
    notice_for,
    own_email,
)


def test_events_map_to_customer_notices():
    assert notice_for("Customer.Registered", {"portal_credentials_requested": True}) == (
        NoticeType.WELCOME
    )
    assert notice_for("Customer.Registered", {"portal_credentials_requested": False}) is None
    assert notice_for("Customer.StatusChanged", {"to_status": "suspended"}) == (
        NoticeType.SUSPENSION
    )
    assert notice_for("Customer.StatusChanged", {"to_status": "active"}) is None
    assert notice_for("CustomerAccount.InvoiceIssued", {}) == NoticeType.INVOICE_ISSUED
    assert notice_for("CustomerAccount.PaymentReceived", {}) == NoticeType.PAYMENT_RECEIVED
    assert notice_for("CreditAccount.AlertsChanged", {}) is None


def test_default_port_uses_the_customers_own_email_and_can_be_replaced():
    customer = CustomerRef("c-1", 7, "jane@example.com")
    assert own_email(customer, NoticeType.WELCOME) == [Recipient("email", "jane@example.com")]
    assert own_email(CustomerRef("c-2", 7, None), NoticeType.WELCOME) == []

    def billing_contacts(c: CustomerRef, notice: NoticeType) -> list[Recipient]:
        return [Recipient("email", "billing@example.com")] if notice.startswith("invoice") else []

    port: RecipientsOf = billing_contacts
    assert port(customer, NoticeType.INVOICE_ISSUED) == [Recipient("email", "billing@example.com")]
