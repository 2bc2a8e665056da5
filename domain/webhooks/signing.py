"""Standard Webhooks signatures: `webhook-signature` is `v1,` + base64 HMAC-SHA256 of
`{id}.{timestamp}.{body}` keyed with the secret's bytes (`whsec_` + base64). During a secret
rotation both secrets are valid and both signatures are sent, space-separated."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"
TOLERANCE_S = 300


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secrets_in_force: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers, one signature per secret in force (the newest first)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, message_id, timestamp, body) for secret in secrets_in_force
        ),
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: int) -> bool:
    """What a receiver does: a fresh timestamp and at least one matching signature."""
    message_id = received["webhook-id"]
    timestamp = int(received["webhook-timestamp"])
    if abs(now - timestamp) > TOLERANCE_S:
        return False
    expected = sign(secret, message_id, timestamp, body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in received["webhook-signature"].split()
    )
