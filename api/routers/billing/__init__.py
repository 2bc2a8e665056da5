"""Billing: customers' invoices, payments, credit notes, refunds and payment plans (routes)."""
