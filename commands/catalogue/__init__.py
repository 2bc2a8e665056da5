"""Catalogue: the ISP's tariffs, their authorization per reseller, resellers' pricing.

This package holds the context's use cases.
"""
