"""Catalogue: the ISP's tariffs, their authorization per reseller, pricing rules (routes)."""
