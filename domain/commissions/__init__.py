"""Commissions: plans, records, disputes, payouts and tax statements (rules and aggregates)."""
