"""Which of the ISP's tariffs a reseller may sell, and in which regions.

They used to be recorded on the `Reseller` aggregate (`Reseller.TariffAuthorized`,
`Reseller.TariffWithdrawn`); those stored events still replay there. New authorizations are
recorded here, in one aggregate per reseller whose id is derived from the reseller number. A
reseller with none stored has `TariffAuthorizations.carried_over(reseller)`: the legacy state,
which saving records as the aggregate's first event.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.partners.reseller import Reseller

Authorized = dict[str, list[str]]
"""A tariff number (as text) → the regions it may be sold in ([] for all of the tariff's)."""


def tariff_authorizations_id(reseller_number: int) -> UUID:
    return derived_id("tariff-authorizations", reseller_number)


class TariffAuthorizations(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int
        authorized_tariffs: Authorized

    @event(Created)
    def __init__(self, reseller_number: int, authorized_tariffs: Authorized) -> None:
        self.reseller_number = reseller_number
        self.authorized_tariffs = authorized_tariffs

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return tariff_authorizations_id(reseller_number)

    @classmethod
    def carried_over(cls, reseller: Reseller) -> TariffAuthorizations:
        """The authorizations of a reseller that has none stored: what its legacy events say."""
        return cls(
            reseller_number=reseller.number, authorized_tariffs=dict(reseller.authorized_tariffs)
        )

    # Every event names the reseller, so a projection need not know this aggregate's id.
    class TariffAuthorized(Aggregate.Event):
        reseller_number: int
        tariff_number: int
        regions: list[str]

    @event(TariffAuthorized)
    def _authorize(self, reseller_number: int, tariff_number: int, regions: list[str]) -> None:
        self.authorized_tariffs = {**self.authorized_tariffs, str(tariff_number): regions}

    def authorize(self, tariff_number: int, regions: list[str]) -> None:
        """Authorize a tariff (again: its regions are replaced)."""
        self._authorize(self.reseller_number, tariff_number, regions)

    class TariffWithdrawn(Aggregate.Event):
        reseller_number: int
        tariff_number: int

    @event(TariffWithdrawn)
    def _withdraw(self, reseller_number: int, tariff_number: int) -> None:
        self.authorized_tariffs = {
            k: v for k, v in self.authorized_tariffs.items() if k != str(tariff_number)
        }

    def withdraw(self, tariff_number: int) -> None:
        if str(tariff_number) not in self.authorized_tariffs:
            raise DomainError("that tariff is not authorized", field="tariff_id")
        self._withdraw(self.reseller_number, tariff_number)

    def is_authorized(self, tariff_number: int) -> bool:
        return str(tariff_number) in self.authorized_tariffs

    def may_sell(self, tariff_number: int, region: str | None) -> bool:
        regions = self.authorized_tariffs.get(str(tariff_number))
        if regions is None:
            return False
        return not regions or region is None or region in regions
