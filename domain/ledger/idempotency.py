"""A record of one idempotent request: its key, a fingerprint of the request and the response.

Its id is derived from (tenant scope, key), and it is saved in the same atomic append as the
command's own events, so a retried or concurrent duplicate either finds it or collides with it.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.ids import derived_id
from domain.ledger.personal import PersonalText

MAX_KEY_LENGTH = 255


def idempotency_record_id(scope: str, key: str) -> UUID:
    return derived_id("idempotency", scope, key)


class IdempotencyRecord(Aggregate):
    class Recorded(Aggregate.Created):
        scope: str
        key: str
        fingerprint: str
        status_code: int
        response_body: str | PersonalText

    @event(Recorded)
    def __init__(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        status_code: int,
        response_body: str | PersonalText,
    ) -> None:
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.status_code = status_code
        self.response_body = response_body

    @staticmethod
    def create_id(scope: str, key: str) -> UUID:
        return idempotency_record_id(scope, key)
