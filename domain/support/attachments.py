"""Attachments of ticket messages: a file as uploaded and the record its events hold."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file as uploaded; the events record its SHA-256 next to the bytes."""

    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def record(
        self, ticket_id: UUID, message_id: UUID, field: str, max_bytes: int
    ) -> dict[str, Any]:
        if not self.content:
            raise DomainError("an attachment may not be empty", field=f"{field}content_base64")
        if len(self.content) > max_bytes:
            raise DomainError(
                f"an attachment is at most {max_bytes} bytes", field=f"{field}content_base64"
            )
        return {
            "attachment_id": str(
                derived_id("ticket-attachment", ticket_id, message_id, self.sha256)
            ),
            "filename": self.filename,
            "content_type": self.content_type,
            "size_bytes": len(self.content),
            "sha256": self.sha256,
            "content_base64": base64.b64encode(self.content).decode("ascii"),
        }
