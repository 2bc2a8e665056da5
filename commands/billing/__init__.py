"""Billing: customers' invoices, payments, credit notes, refunds and payment plans (use cases)."""
