"""A reseller's tax profile: what a self-billed commission invoice, a 1099-NEC and a VAT
statement need about the payee.

It used to be recorded on the `Reseller` aggregate (`Reseller.TaxProfileSet`); those stored
events still replay there. New profiles are recorded here, in one aggregate per reseller whose
id is derived from the reseller number. A reseller with none stored has
`TaxProfile.carried_over(reseller)`: its legacy profile, which saving records again here (the
same facts, so the latest profile a statement reads is unchanged).
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.personal import PersonalText, personal
from domain.partners.reseller import COUNTRY_PATTERN, Reseller, reseller_id

TIN_PATTERN = re.compile(r"^\d{3}-?\d{2}-?\d{4}$|^\d{2}-?\d{7}$")
VAT_ID_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9 .-]{3,19}$")


def tax_profile_id(reseller_number: int) -> UUID:
    return derived_id("tax-profile", reseller_number)


class TaxProfile(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int
        reseller_name: str
        reseller_country: str

    @event(Created)
    def __init__(self, reseller_number: int, reseller_name: str, reseller_country: str) -> None:
        self.reseller_number = reseller_number
        self.reseller_name = reseller_name
        self.reseller_country = reseller_country
        self.profile: dict[str, Any] | None = None

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return tax_profile_id(reseller_number)

    @classmethod
    def carried_over(cls, reseller: Reseller) -> TaxProfile:
        """The tax profile of a reseller that has none stored: what its legacy events say."""
        profile = cls(
            reseller_number=reseller.number,
            reseller_name=reseller.name,
            reseller_country=reseller.country,
        )
        if reseller.tax_profile is not None:
            profile._set(reseller.number, **reseller.tax_profile)
        return profile

    class Set(Aggregate.Event):
        """`tin` is personal data: stored encrypted with the reseller's own key (the
        reseller aggregate's id), as the legacy `Reseller.TaxProfileSet` is."""

        reseller_number: int
        legal_name: str
        address: str
        country: str
        vat_id: str | None
        tin: PersonalText | None
        backup_withholding: bool

    @event(Set)
    def _set(
        self,
        reseller_number: int,
        legal_name: str,
        address: str,
        country: str,
        vat_id: str | None,
        tin: PersonalText | None,
        backup_withholding: bool,
    ) -> None:
        self.profile = {
            "legal_name": legal_name,
            "address": address,
            "country": country,
            "vat_id": vat_id,
            "tin": tin,
            "backup_withholding": backup_withholding,
        }

    def set(
        self,
        legal_name: str,
        address: str,
        country: str,
        vat_id: str | None,
        tin: str | None,
        backup_withholding: bool,
    ) -> None:
        legal_name, address = legal_name.strip(), address.strip()
        if not legal_name or len(legal_name) > 200:
            raise DomainError("legal_name must be 1-200 characters", field="legal_name")
        if not address or len(address) > 500:
            raise DomainError("address must be 1-500 characters", field="address")
        if not COUNTRY_PATTERN.match(country):
            raise DomainError("country must be an ISO 3166 alpha-2 code", field="country")
        if vat_id is not None:
            vat_id = vat_id.strip().upper()
            if not VAT_ID_PATTERN.match(vat_id):
                raise DomainError(
                    "vat_id must be 4-20 letters, digits, spaces, '.' or '-'", field="vat_id"
                )
        if tin is not None:
            tin = tin.strip()
            if not TIN_PATTERN.match(tin):
                raise DomainError("tin must be an SSN, ITIN or EIN (9 digits)", field="tin")
        if backup_withholding and country != "US":
            raise DomainError(
                "backup withholding applies to US payees only", field="backup_withholding"
            )
        subject = reseller_id(self.reseller_number)
        self._set(
            self.reseller_number,
            legal_name,
            address,
            country,
            vat_id,
            personal(subject, tin),
            backup_withholding,
        )

    def facts(self) -> dict[str, Any]:
        """The tax profile, or what the reseller record itself says when none was set."""
        if self.profile is not None:
            return self.profile
        return {
            "legal_name": self.reseller_name,
            "address": "",
            "country": self.reseller_country,
            "vat_id": None,
            "tin": None,
            "backup_withholding": False,
        }
