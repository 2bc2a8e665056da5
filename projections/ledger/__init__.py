"""Shared kernel: money, journal, tax, FX, ids, errors, idempotency, personal data (read models)."""
