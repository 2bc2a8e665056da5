"""Commissions: plans, records, disputes, payouts and tax statements (use cases)."""
