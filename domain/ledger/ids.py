"""Deterministic aggregate ids derived from natural keys (uuid5), so a second create collides."""

from __future__ import annotations

from uuid import UUID, uuid5

LEDGER_NAMESPACE = UUID("6f1c2a0e-7f55-4c9b-9d43-5a0b2b1f3e10")
NO_TENANT = 0
"""Events that belong to no reseller (e.g. an ISP admin's token) carry tenant 0."""


def derived_id(kind: str, *key: object) -> UUID:
    return uuid5(LEDGER_NAMESPACE, ":".join([kind, *(str(part) for part in key)]))
