"""Audit: the audit trail of every event, for finance auditors (read models)."""
