"""Domain rule violations. Each names the field it concerns so the API can report it."""

from __future__ import annotations


class DomainError(ValueError):
    """A command the domain refuses; nothing is recorded."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(DomainError):
    """A status change the lifecycle does not allow."""
