"""Why a command was refused. The API maps each to a problem+json status."""

from __future__ import annotations

from domain.ledger.errors import DomainError


class CommandError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(CommandError):
    """Missing, or outside the caller's tenant: the two are never told apart."""

    status_code = 404


class Forbidden(CommandError):
    status_code = 403


class Conflict(CommandError):
    status_code = 409


class PreconditionFailed(CommandError):
    """If-Match named a version the aggregate is no longer at."""

    status_code = 412


class Gone(CommandError):
    """What was asked for existed but has been erased for good."""

    status_code = 410


class Unprocessable(CommandError):
    status_code = 422


def from_domain(error: DomainError) -> Unprocessable:
    return Unprocessable(str(error), field=error.field)
