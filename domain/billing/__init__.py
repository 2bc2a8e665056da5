"""Billing: customers' invoices, payments, credit notes, refunds and payment plans.

This package holds the context's rules and aggregates.
"""
