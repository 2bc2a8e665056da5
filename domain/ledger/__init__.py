"""Shared kernel: money, journal, tax, FX, ids, errors, idempotency, personal data.

This package holds the context's rules and aggregates.
"""
