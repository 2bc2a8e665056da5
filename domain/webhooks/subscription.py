"""A webhook subscription: where a reseller (or the master ISP) wants which public events sent,
and the secrets their signatures are made with.

The secret is kept encrypted (the caller encrypts; the domain never sees it in clear). A
rotation adds a new secret in front of the current one: both sign until the previous one is
retired. Replays and redeliveries are requests recorded here and carried out by the delivery
outbox, so every change to what a subscriber receives is an event."""

from __future__ import annotations

from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.webhooks.catalogue import CATALOGUE
from domain.webhooks.targets import check_url

MAX_REASON = 500


def checked_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - CATALOGUE.keys())
    if unknown:
        raise DomainError(
            f"unknown event type {unknown[0]}; the catalogue has {', '.join(sorted(CATALOGUE))}",
            field="event_types",
        )
    if not event_types:
        raise DomainError("at least one event type", field="event_types")
    return sorted(set(event_types))


class WebhookSubscription(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int | None
        tenant_number: int
        url: str
        event_types: list[str]
        secret_encrypted: str

    @event(Created)
    def __init__(
        self,
        reseller_number: int | None,
        tenant_number: int,
        url: str,
        event_types: list[str],
        secret_encrypted: str,
    ) -> None:
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.url = url
        self.event_types = event_types
        self.secrets_encrypted = [secret_encrypted]
        """Newest first: two while a rotation is under way."""
        self.active = True
        self.disabled_reason: str | None = None

    @classmethod
    def subscribe(
        cls,
        reseller_number: int | None,
        tenant_number: int,
        url: str,
        event_types: list[str],
        secret_encrypted: str,
        subscription_id: UUID | None = None,
    ) -> WebhookSubscription:
        """`reseller_number` None: the master ISP's subscription (every reseller's events)."""
        check_url(url)
        return cls._create(
            cls.Created,
            id=subscription_id or uuid4(),
            reseller_number=reseller_number,
            tenant_number=tenant_number,
            url=url,
            event_types=checked_event_types(event_types),
            secret_encrypted=secret_encrypted,
        )

    @property
    def rotating(self) -> bool:
        return len(self.secrets_encrypted) > 1

    def change(self, url: str | None, event_types: list[str] | None) -> None:
        if url is not None:
            check_url(url)
        new_url = self.url if url is None else url
        new_types = self.event_types if event_types is None else checked_event_types(event_types)
        if (new_url, new_types) != (self.url, self.event_types):
            self._changed(new_url, new_types)

    @event("Changed")
    def _changed(self, url: str, event_types: list[str]) -> None:
        self.url = url
        self.event_types = event_types

    def rotate_secret(self, new_secret_encrypted: str) -> None:
        if self.rotating:
            raise DomainError(
                "a rotation is under way: retire the previous secret first", field="secret"
            )
        self._secret_rotated(new_secret_encrypted)

    @event("SecretRotated")
    def _secret_rotated(self, new_secret_encrypted: str) -> None:
        self.secrets_encrypted = [new_secret_encrypted, self.secrets_encrypted[0]]

    def retire_previous_secret(self) -> None:
        if not self.rotating:
            raise DomainError("no rotation is under way", field="secret")
        self._previous_secret_retired()

    @event("PreviousSecretRetired")
    def _previous_secret_retired(self) -> None:
        self.secrets_encrypted = self.secrets_encrypted[:1]

    def disable(self, reason: str, automatic: bool) -> None:
        """Nothing is delivered while disabled; a second disable changes nothing."""
        if self.active:
            self._disabled(reason[:MAX_REASON], automatic)

    @event("Disabled")
    def _disabled(self, reason: str, automatic: bool) -> None:
        self.active = False
        self.disabled_reason = reason

    def enable(self) -> None:
        """Deliveries resume where they stopped, in order."""
        if not self.active:
            self._enabled()

    @event("Enabled")
    def _enabled(self) -> None:
        self.active = True
        self.disabled_reason = None

    @event("ReplayRequested")
    def request_replay(self, after_position: int) -> None:
        """Every delivery of this subscription after the position goes out again."""

    @event("RedeliveryRequested")
    def request_redelivery(self, position: int) -> None:
        """The delivery of the event at this position goes out again."""
