"""Customers: a reseller's customers, their status lifecycle, services and erasure (routes)."""
