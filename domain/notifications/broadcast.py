"""An ISP broadcast: system maintenance or a policy update, to every reseller or to some."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError

BROADCAST_KINDS = ("system_maintenance", "policy_update")
MAX_AUDIENCE = 1000


class Broadcast(Aggregate):
    class Published(Aggregate.Created):
        kind: str
        title: str
        body: str
        reseller_ids: list[int]

    @event(Published)
    def __init__(self, kind: str, title: str, body: str, reseller_ids: list[int]) -> None:
        self.kind = kind
        self.title = title
        self.body = body
        self.reseller_ids = reseller_ids

    @classmethod
    def publish(
        cls, broadcast_id: UUID, kind: str, title: str, body: str, reseller_ids: list[int]
    ) -> Broadcast:
        """An empty `reseller_ids` reaches every reseller."""
        if kind not in BROADCAST_KINDS:
            raise DomainError(f"kind must be one of {', '.join(BROADCAST_KINDS)}", field="kind")
        if len(reseller_ids) > MAX_AUDIENCE:
            raise DomainError(f"at most {MAX_AUDIENCE} resellers", field="reseller_ids")
        return cls._create(
            cls.Published,
            id=broadcast_id,
            kind=kind,
            title=title,
            body=body,
            reseller_ids=sorted(set(reseller_ids)),
        )

    @property
    def broadcast_id(self) -> UUID:
        return self.id
