"""Personal data: a piece of text about one data subject (a customer, a user).

Events carry personal data as `PersonalText` instead of a plain `str`. The store encrypts each
value with its subject's own key when the event is written; erasing the subject deletes the key,
after which the value reads back as erased (`text is None`) while the event itself, its amounts
and its place in history stay untouched (crypto-shredding). The domain only ever sees plaintext
or the erased marker; keys and ciphertext are the store's business.

The value never shows its text in `repr()` or `str()`, so it cannot leak into a log line or an
error message by accident: read `.text` (or `reveal`) where the plaintext is really needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

ERASED = "[erased]"
"""What erased personal data reads as wherever a text is shown."""


@dataclass(frozen=True, slots=True)
class PersonalText:
    subject_id: UUID
    """Whose data this is: the subject's key encrypts it, erasing the subject erases it."""
    text: str | None
    """The plaintext, or None once the subject has been erased."""

    @property
    def erased(self) -> bool:
        return self.text is None

    def shown(self) -> str:
        """The text as shown to someone authorised to see it: the plaintext or `ERASED`."""
        return ERASED if self.text is None else self.text

    def __repr__(self) -> str:
        state = "erased" if self.text is None else "redacted"
        return f"PersonalText(subject_id={self.subject_id}, <{state}>)"

    __str__ = __repr__


def personal(subject_id: UUID, text: str | None) -> PersonalText | None:
    """Wraps an optional text; an absent value stays None (nothing to protect)."""
    return None if text is None else PersonalText(subject_id, text)


def reveal(value: PersonalText | str | None) -> str | None:
    """The text to show for a field that holds personal data (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return value.shown()


def erased(value: PersonalText | None) -> PersonalText | None:
    """The same field with its text forgotten."""
    return None if value is None else PersonalText(value.subject_id, None)
