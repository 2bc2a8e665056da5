"""Webhooks: Standard Webhooks signatures, the public event catalogue, SSRF target rules."""
