"""Customers: a reseller's customers, their status lifecycle, services and erasure.

This package holds the context's rules and aggregates.
"""
