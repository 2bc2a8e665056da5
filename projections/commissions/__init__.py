"""Commissions: plans, records, disputes, payouts and tax statements (read models)."""
