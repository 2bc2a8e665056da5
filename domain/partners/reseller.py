"""Resellers: the ISP's partners, each a tenant (or a sub-reseller inside its parent's tenant).

Resellers have a small integer number (the seed's `reseller_id`) handed out by the registry, and
a unique code (the seed's `reseller_code`) claimed through a `ResellerCode` aggregate whose id is
derived from the code, so a duplicate code collides in the event store itself. The reseller
aggregate also owns the per-reseller customer counter that makes Portal IDs unique.

What stays here is the partner's identity and hierarchy: numbering, children, business start,
closed books, and the terms (their customer limit is checked in the same save that takes a Portal
ID, and a child's terms are bounded by its parent's). The team policy, tariff authorizations, tax
profile and payment settings have aggregates of their own (docs/architecture.md, "Concerns split
off the Reseller"); their legacy events stay below so that stored streams replay.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.money import minor_unit
from domain.ledger.personal import PersonalText

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
MAX_HIERARCHY_DEPTH = 8


def normalise_code(code: str) -> str:
    normalised = code.strip().upper()
    if not CODE_PATTERN.match(normalised):
        raise DomainError(
            "reseller_code must be 2-32 letters, digits, '_' or '-', starting with a letter or "
            "digit",
            field="reseller_code",
        )
    return normalised


def reseller_id(number: int) -> UUID:
    return derived_id("reseller", number)


class ResellerRegistry(Aggregate):
    """The one place that hands out reseller numbers, so they are gap-free and never reused."""

    class Created(Aggregate.Created):
        pass

    @event(Created)
    def __init__(self) -> None:
        self.last_number = 0

    @staticmethod
    def create_id() -> UUID:
        return derived_id("reseller-registry")

    class NumberAllocated(Aggregate.Event):
        number: int

    @event(NumberAllocated)
    def _allocate(self, number: int) -> None:
        self.last_number = number

    def allocate_number(self) -> int:
        self._allocate(self.last_number + 1)
        return self.last_number


class ResellerCode(Aggregate):
    """A claim on a reseller code; its id is derived from the code."""

    class Created(Aggregate.Created):
        code: str
        reseller_number: int

    @event(Created)
    def __init__(self, code: str, reseller_number: int) -> None:
        self.code = code
        self.reseller_number = reseller_number

    @staticmethod
    def create_id(code: str) -> UUID:
        return derived_id("reseller-code", code)


class Reseller(Aggregate):
    class Created(Aggregate.Created):
        number: int
        code: str
        name: str
        country: str
        currency: str
        parent_number: int | None
        root_number: int
        level: int

    @event(Created)
    def __init__(
        self,
        number: int,
        code: str,
        name: str,
        country: str,
        currency: str,
        parent_number: int | None,
        root_number: int,
        level: int,
    ) -> None:
        self.number = number
        self.code = code
        self.name = name
        self.country = country
        self.currency = currency
        self.parent_number = parent_number
        self.root_number = root_number
        self.level = level
        self.status = "active"
        self.customers_registered = 0
        self.children: list[int] = []
        self.require_two_factor = False
        self.manage_sub_resellers = False
        self.custom_roles: dict[str, dict[str, Any]] = {}
        self.books_closed_through: date | None = None
        self.commission_percent: Decimal | None = None
        self.customer_limit: int | None = None
        self.allowed_services: list[str] | None = None
        self.inherited_branding = False
        self.open_customers = 0
        self.crypto_payments_enabled = False
        self.authorized_tariffs: dict[str, list[str]] = {}
        self.business_start: date | None = None
        """The first business date of the reseller (see `opened_on`)."""

    @staticmethod
    def create_id(number: int) -> UUID:
        return reseller_id(number)

    @classmethod
    def register(
        cls,
        number: int,
        code: str,
        name: str,
        country: str,
        currency: str,
        parent: Reseller | None,
    ) -> Reseller:
        name = name.strip()
        if not name or len(name) > 200:
            raise DomainError("name must be 1-200 characters", field="name")
        if not COUNTRY_PATTERN.match(country):
            raise DomainError("country must be an ISO 3166 alpha-2 code", field="country")
        minor_unit(currency)  # refuses unknown currencies
        if parent is not None:
            if parent.status != "active":
                raise DomainError("the parent reseller is not active", field="parent_reseller_id")
            if parent.level + 1 > MAX_HIERARCHY_DEPTH:
                raise DomainError("the reseller hierarchy is too deep", field="parent_reseller_id")
        return cls(
            number=number,
            code=normalise_code(code),
            name=name,
            country=country,
            currency=currency,
            parent_number=parent.number if parent else None,
            root_number=parent.root_number if parent else number,
            level=parent.level + 1 if parent else 0,
        )

    class CustomerNumberTaken(Aggregate.Event):
        sequence: int

    @event(CustomerNumberTaken)
    def _take_customer_number(self, sequence: int) -> None:
        self.customers_registered = sequence
        self.open_customers += 1

    class CustomerClosed(Aggregate.Event):
        pass

    @event(CustomerClosed)
    def customer_closed(self) -> None:
        """A customer became inactive: it no longer counts against the customer limit."""
        self.open_customers -= 1

    def next_portal_id(self) -> str:
        """Take the next Portal ID: the reseller code and a per-reseller sequence number. The
        reseller's customer limit, if any, counts customers not yet made inactive."""
        if self.status != "active":
            raise DomainError("the reseller is not active", field="reseller_id")
        if self.customer_limit is not None and self.open_customers >= self.customer_limit:
            raise DomainError(
                f"the reseller has reached its limit of {self.customer_limit} customers",
                field="customer_limit",
            )
        self._take_customer_number(self.customers_registered + 1)
        return f"{self.code}-{self.customers_registered:06d}"

    class ChildAdded(Aggregate.Event):
        child_number: int

    @event(ChildAdded)
    def add_child(self, child_number: int) -> None:
        self.children = [*self.children, child_number]

    # Legacy: security settings and custom roles are recorded on `domain.access.team_policy`
    # now. These events stay so that stored streams replay; nothing records new ones.
    class SecuritySettingsChanged(Aggregate.Event):
        require_two_factor: bool
        manage_sub_resellers: bool

    @event(SecuritySettingsChanged)
    def _change_security_settings(
        self, require_two_factor: bool, manage_sub_resellers: bool
    ) -> None:
        self.require_two_factor = require_two_factor
        self.manage_sub_resellers = manage_sub_resellers

    class CustomRoleDefined(Aggregate.Event):
        name: str
        base_role: str
        permissions: list[str]

    @event(CustomRoleDefined)
    def _define_custom_role(self, name: str, base_role: str, permissions: list[str]) -> None:
        self.custom_roles = {
            **self.custom_roles,
            name: {"base_role": base_role, "permissions": permissions},
        }

    class CustomRoleRemoved(Aggregate.Event):
        name: str

    @event(CustomRoleRemoved)
    def _remove_custom_role(self, name: str) -> None:
        self.custom_roles = {k: v for k, v in self.custom_roles.items() if k != name}

    class BusinessStartSet(Aggregate.Event):
        on: date

    @event(BusinessStartSet)
    def _set_business_start(self, on: date) -> None:
        self.business_start = on

    def set_business_start(self, on: date, today: date, parent: Reseller | None) -> None:
        """When the reseller's business began: the day it is created, or an earlier day the
        master ISP names for a reseller migrated with its history. Never in the future, never
        before its parent's."""
        if on > today:
            raise DomainError("opened_on cannot be in the future", field="opened_on")
        if parent is not None and on < parent.opened_on:
            raise DomainError(
                f"opened_on cannot precede the parent's ({parent.opened_on})", field="opened_on"
            )
        self._set_business_start(on)

    @property
    def opened_on(self) -> date:
        """The reseller's first business date (for resellers created before it was recorded:
        the day the reseller was stored)."""
        if self.business_start is not None:
            return self.business_start
        return self.created_on.date()

    def business_date_refusal(
        self, requested: date, today: date, allow_future: bool = False
    ) -> str | None:
        """Why `requested` cannot be a business date of this reseller's money events; None when
        it can. Not in the future (unless the change is scheduled ahead: `allow_future`), not
        before the reseller existed, not in a closed period."""
        if requested > today and not allow_future:
            return "cannot be in the future"
        if requested < self.opened_on:
            return f"cannot precede the reseller's first business date ({self.opened_on})"
        if self.books_closed_through is not None and requested <= self.books_closed_through:
            return (
                f"the books are closed through {self.books_closed_through}; post corrections "
                "into the open period"
            )
        return None

    class BooksClosed(Aggregate.Event):
        through: date

    @event(BooksClosed)
    def _close_books(self, through: date) -> None:
        self.books_closed_through = through

    def close_books(self, through: date, today: date) -> None:
        """Close every accounting period up to `through`: nothing may post into them after."""
        if through >= today:
            raise DomainError("only a period that has ended can be closed", field="through")
        if self.books_closed_through is not None and through <= self.books_closed_through:
            raise DomainError(
                f"the books are already closed through {self.books_closed_through}", field="through"
            )
        self._close_books(through)

    # Legacy: tariff authorizations are recorded on `domain.catalogue.authorizations` now.
    # These events stay so that stored streams replay; nothing records new ones.
    class TariffAuthorized(Aggregate.Event):
        tariff_number: int
        regions: list[str]

    @event(TariffAuthorized)
    def _authorize_tariff(self, tariff_number: int, regions: list[str]) -> None:
        self.authorized_tariffs = {**self.authorized_tariffs, str(tariff_number): regions}

    class TariffWithdrawn(Aggregate.Event):
        tariff_number: int

    @event(TariffWithdrawn)
    def _withdraw_tariff(self, tariff_number: int) -> None:
        self.authorized_tariffs = {
            k: v for k, v in self.authorized_tariffs.items() if k != str(tariff_number)
        }

    # Legacy: payment settings are recorded on `domain.billing.payment_settings` now. This
    # event stays so that stored streams replay; nothing records new ones.
    class PaymentSettingsChanged(Aggregate.Event):
        crypto_payments_enabled: bool

    @event(PaymentSettingsChanged)
    def _change_payment_settings(self, crypto_payments_enabled: bool) -> None:
        self.crypto_payments_enabled = crypto_payments_enabled

    class TermsSet(Aggregate.Event):
        commission_percent: Decimal | None
        customer_limit: int | None
        allowed_services: list[str] | None
        inherited_branding: bool

    @event(TermsSet)
    def _set_terms(
        self,
        commission_percent: Decimal | None,
        customer_limit: int | None,
        allowed_services: list[str] | None,
        inherited_branding: bool,
    ) -> None:
        self.commission_percent = commission_percent
        self.customer_limit = customer_limit
        self.allowed_services = allowed_services
        self.inherited_branding = inherited_branding

    def set_terms(
        self,
        parent: Reseller | None,
        commission_percent: Decimal | None,
        customer_limit: int | None,
        allowed_services: list[str] | None,
        inherited_branding: bool,
    ) -> None:
        """Seed §11.1 terms. A sub-reseller never earns a higher rate than its parent, never
        sells a service its parent may not, and never has a larger customer limit."""
        if commission_percent is not None and not 0 <= commission_percent <= 100:
            raise DomainError("commission_percent is 0-100", field="commission_percent")
        if parent is not None:
            if (
                commission_percent is not None
                and parent.commission_percent is not None
                and (commission_percent > parent.commission_percent)
            ):
                raise DomainError(
                    f"commission_percent cannot exceed the parent's {parent.commission_percent}",
                    field="commission_percent",
                )
            if parent.allowed_services is not None and allowed_services is not None:
                beyond = set(allowed_services) - set(parent.allowed_services)
                if beyond:
                    raise DomainError(
                        f"the parent may not sell {sorted(beyond)}", field="allowed_services"
                    )
            if allowed_services is None:
                allowed_services = parent.allowed_services
            if parent.customer_limit is not None and (
                customer_limit is None or customer_limit > parent.customer_limit
            ):
                raise DomainError(
                    f"customer_limit must be at most the parent's {parent.customer_limit}",
                    field="customer_limit",
                )
        if customer_limit is not None and customer_limit < 0:
            raise DomainError("customer_limit cannot be negative", field="customer_limit")
        self._set_terms(commission_percent, customer_limit, allowed_services, inherited_branding)

    def reconfiguration_conflict(
        self,
        customer_limit: int | None,
        commission_percent: Decimal | None,
        allowed_services: list[str] | None,
        children: list[Reseller],
    ) -> tuple[str, str] | None:
        """Why new terms would take away what this reseller already uses (seed §11.2: a parent
        changes a child's terms later, never below what the child already has): fewer places
        than its open customers, or less than one of its own sub-resellers was given. Returns
        the field and the reason."""
        if customer_limit is not None and customer_limit < self.open_customers:
            return "customer_limit", (
                f"customer_limit {customer_limit} is below the {self.open_customers} customers "
                "this reseller already has"
            )
        for child in children:
            if (
                commission_percent is not None
                and child.commission_percent is not None
                and child.commission_percent > commission_percent
            ):
                return "commission_percent", (
                    f"sub-reseller {child.number} earns {child.commission_percent}%, more than "
                    f"{commission_percent}%: lower its rate first"
                )
            if customer_limit is not None and (
                child.customer_limit is None or child.customer_limit > customer_limit
            ):
                allowed = child.customer_limit or "any number of"
                return "customer_limit", (
                    f"sub-reseller {child.number} may have {allowed} customers, more than "
                    f"{customer_limit}: lower its limit first"
                )
            if allowed_services is not None:
                beyond = set(child.allowed_services or ()) - set(allowed_services)
                if child.allowed_services is None or beyond:
                    return "allowed_services", (
                        f"sub-reseller {child.number} sells {sorted(beyond) or 'every service'},"
                        " which these terms no longer allow: narrow its services first"
                    )
        return None

    def may_offer(self, service_type: str) -> bool:
        return self.allowed_services is None or service_type in self.allowed_services

    # Legacy: the tax profile is recorded on `domain.commissions.tax_profile` now. This event
    # stays so that stored streams replay; nothing records new ones.
    # A class-level default, so resellers created (or snapshotted) before tax profiles load.
    tax_profile: dict[str, Any] | None = None

    class TaxProfileSet(Aggregate.Event):
        """What a self-billed commission invoice, a 1099-NEC and a VAT statement need. `tin` is
        personal data: stored encrypted with the reseller's own key (its aggregate id)."""

        legal_name: str
        address: str
        country: str
        vat_id: str | None
        tin: PersonalText | None
        backup_withholding: bool

    @event(TaxProfileSet)
    def _set_tax_profile(
        self,
        legal_name: str,
        address: str,
        country: str,
        vat_id: str | None,
        tin: PersonalText | None,
        backup_withholding: bool,
    ) -> None:
        self.tax_profile = {
            "legal_name": legal_name,
            "address": address,
            "country": country,
            "vat_id": vat_id,
            "tin": tin,
            "backup_withholding": backup_withholding,
        }
