"""What the support handlers share: loading a desk or the ISP's categories (made on first
use), the attachment upload model, and the principal's side of a conversation."""

from __future__ import annotations

import base64
import binascii

from eventsourcing.application import AggregateNotFoundError
from pydantic import Field

from commands.errors import Unprocessable
from commands.models import CommandModel, MediaType, UploadFilename
from commands.principal import Principal
from commands.runner import Store
from domain.support.attachments import Attachment
from domain.support.desk import SupportCategories, SupportDesk, categories_id, desk_id

MAX_ATTACHMENT_BYTES = 32_768
"""Largest attachment (decoded); the base64 request must also fit LEDGER_MAX_BODY_BYTES."""


def desk_of(store: Store, reseller_number: int) -> SupportDesk:
    """The reseller's desk, or a new one (saved with the command that first needs it)."""
    try:
        desk: object = store.repository.get(desk_id(reseller_number))
    except AggregateNotFoundError:
        return SupportDesk(reseller_number)
    if not isinstance(desk, SupportDesk):
        raise TypeError("not a support desk")
    return desk


def categories_of(store: Store) -> SupportCategories:
    try:
        categories: object = store.repository.get(categories_id())
    except AggregateNotFoundError:
        return SupportCategories()
    if not isinstance(categories, SupportCategories):
        raise TypeError("not the support categories")
    return categories


def author_kind(principal: Principal) -> str:
    return "isp" if principal.in_isp_realm else "support"


class AttachmentUpload(CommandModel):
    filename: UploadFilename = Field(examples=["screenshot.png"])
    content_type: MediaType = "application/octet-stream"
    content_base64: str = Field(
        min_length=1, max_length=MAX_ATTACHMENT_BYTES * 4 // 3 + 4, description="Base64"
    )

    def decoded(self, field: str) -> Attachment:
        try:
            content = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Unprocessable("not valid base64", field=f"{field}content_base64") from None
        return Attachment(self.filename, self.content_type, content)
