"""The ISP's tariff catalogue, numbering, and customers' services with their lifecycle.

Tariffs (internet, voice, bundle, value-added) carry a monthly wholesale price and the regions
they are sold in; the master ISP authorizes them per reseller. A customer's service moves through
the seed's service statuses (pending, active, suspended, limited, terminated); its history of
(date, status, tariff) is what billing prorates over: a period is billed per tariff for the days
the service was active or limited in it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError, InvalidTransition
from domain.ledger.ids import derived_id
from domain.ledger.money import Money

SERVICE_TYPES = ("internet", "voice", "bundle", "value_added")
SERVICE_STATUSES = ("pending", "active", "suspended", "limited", "terminated")
BILLABLE_STATUSES = frozenset({"active", "limited"})
SERVICE_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "terminated"}),
    "active": frozenset({"suspended", "limited", "terminated"}),
    "suspended": frozenset({"active", "terminated"}),
    "limited": frozenset({"active", "suspended", "terminated"}),
    "terminated": frozenset(),
}


class Counter(Aggregate):
    """Hands out 1, 2, 3, ... for one named sequence; saved with what uses the number, so the
    sequence has no gaps."""

    class Created(Aggregate.Created):
        name: str

    @event(Created)
    def __init__(self, name: str) -> None:
        self.name = name
        self.last = 0

    @staticmethod
    def create_id(name: str) -> UUID:
        return derived_id("counter", name)

    class Taken(Aggregate.Event):
        value: int

    @event(Taken)
    def _take(self, value: int) -> None:
        self.last = value

    def take(self) -> int:
        self._take(self.last + 1)
        return self.last


def tariff_id(number: int) -> UUID:
    return derived_id("tariff", number)


class Tariff(Aggregate):
    class Created(Aggregate.Created):
        number: int
        service_type: str
        name: str
        wholesale: Money
        regions: list[str]

    @event(Created)
    def __init__(
        self, number: int, service_type: str, name: str, wholesale: Money, regions: list[str]
    ) -> None:
        self.number = number
        self.service_type = service_type
        self.name = name
        self.wholesale = wholesale
        self.regions = regions
        self.active = True

    @staticmethod
    def create_id(number: int) -> UUID:
        return tariff_id(number)

    @classmethod
    def define(
        cls, number: int, service_type: str, name: str, wholesale: Money, regions: list[str]
    ) -> Tariff:
        if service_type not in SERVICE_TYPES:
            raise DomainError(
                f"service_type must be one of {', '.join(SERVICE_TYPES)}", field="service_type"
            )
        if not name.strip() or len(name) > 200:
            raise DomainError("name must be 1-200 characters", field="name")
        if not wholesale.is_positive:
            raise DomainError("the wholesale price must be positive", field="wholesale_price")
        return cls(number, service_type, name.strip(), wholesale, sorted(set(regions)))

    class WholesaleRepriced(Aggregate.Event):
        wholesale: Money
        effective_from: date

    @event(WholesaleRepriced)
    def reprice(self, wholesale: Money, effective_from: date) -> None:
        self.wholesale = wholesale


def service_periods(history: list[dict[str, Any]], start: date, end: date) -> list[tuple[int, int]]:
    """(tariff, billable days) within [start, end], from a service's dated history entries
    ({"on": date, "status": str, "tariff": int}, in order). A change on a day applies from that
    day on."""
    totals: dict[int, int] = {}
    for index, entry in enumerate(history):
        segment_start = max(entry["on"], start)
        next_on = history[index + 1]["on"] if index + 1 < len(history) else end + timedelta(1)
        segment_end = min(next_on - timedelta(1), end)
        if entry["status"] in BILLABLE_STATUSES and segment_start <= segment_end:
            days = (segment_end - segment_start).days + 1
            totals[entry["tariff"]] = totals.get(entry["tariff"], 0) + days
    return sorted(totals.items())


class CustomerService(Aggregate):
    class Added(Aggregate.Created):
        customer_id: UUID
        reseller_number: int
        tenant_number: int
        tariff_number: int
        service_type: str
        added_on: date

    @event(Added)
    def __init__(
        self,
        customer_id: UUID,
        reseller_number: int,
        tenant_number: int,
        tariff_number: int,
        service_type: str,
        added_on: date,
    ) -> None:
        self.customer_id = customer_id
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.tariff_number = tariff_number
        self.service_type = service_type
        self.status = "pending"
        self.history: list[dict[str, Any]] = [
            {"on": added_on, "status": "pending", "tariff": tariff_number}
        ]

    class StatusChanged(Aggregate.Event):
        from_status: str
        to_status: str
        on: date
        reason: str | None
        review_required: bool

    @event(StatusChanged)
    def _change_status(
        self, from_status: str, to_status: str, on: date, reason: str | None, review_required: bool
    ) -> None:
        self.status = to_status
        self.history = [
            *self.history,
            {"on": on, "status": to_status, "tariff": self.tariff_number},
        ]

    def change_status(
        self, to_status: str, on: date, reason: str | None, review_required: bool = False
    ) -> None:
        if to_status not in SERVICE_STATUSES:
            raise DomainError(
                f"status must be one of {', '.join(SERVICE_STATUSES)}", field="status"
            )
        if to_status not in SERVICE_TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"a service cannot go from {self.status} to {to_status}", field="status"
            )
        if on < self.history[-1]["on"]:
            raise DomainError("a change cannot predate the service's last change", field="on")
        self._change_status(self.status, to_status, on, reason, review_required)

    class TariffChanged(Aggregate.Event):
        from_tariff: int
        to_tariff: int
        on: date

    @event(TariffChanged)
    def _change_tariff(self, from_tariff: int, to_tariff: int, on: date) -> None:
        self.tariff_number = to_tariff
        self.history = [*self.history, {"on": on, "status": self.status, "tariff": to_tariff}]

    def change_tariff(self, to_tariff: Tariff, on: date) -> None:
        """Upgrade or downgrade from a date; billing prorates the period across both tariffs."""
        if self.status == "terminated":
            raise InvalidTransition("a terminated service cannot change tariff", field="status")
        if to_tariff.number == self.tariff_number:
            raise DomainError("the service is already on that tariff", field="tariff_id")
        if to_tariff.service_type != self.service_type:
            raise DomainError("a service keeps its service type", field="tariff_id")
        if on < self.history[-1]["on"]:
            raise DomainError("a change cannot predate the service's last change", field="on")
        self._change_tariff(self.tariff_number, to_tariff.number, on)
