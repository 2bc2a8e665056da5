"""A reseller's team policy: its security settings and its custom roles.

They used to be recorded on the `Reseller` aggregate (`Reseller.SecuritySettingsChanged`,
`Reseller.CustomRoleDefined`, `Reseller.CustomRoleRemoved`); those stored events still replay
there. New changes are recorded here, in one aggregate per reseller whose id is derived from the
reseller number. A reseller whose policy was never changed since has none stored: its policy is
then `TeamPolicy.carried_over(reseller)`, which starts from the legacy state, and saving it
records that state as the policy's first event.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.partners.reseller import Reseller

CUSTOM_ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
BUILT_IN_ROLE_NAMES = frozenset({"isp_admin", "admin", "manager", "user", "readonly"})
MAX_CUSTOM_ROLES = 50

CustomRoles = dict[str, dict[str, Any]]
"""A custom role's name → {"base_role": a built-in role, "permissions": [permission, ...]}."""


def team_policy_id(reseller_number: int) -> UUID:
    return derived_id("team-policy", reseller_number)


class TeamPolicy(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int
        require_two_factor: bool
        manage_sub_resellers: bool
        custom_roles: CustomRoles

    @event(Created)
    def __init__(
        self,
        reseller_number: int,
        require_two_factor: bool,
        manage_sub_resellers: bool,
        custom_roles: CustomRoles,
    ) -> None:
        self.reseller_number = reseller_number
        self.require_two_factor = require_two_factor
        self.manage_sub_resellers = manage_sub_resellers
        self.custom_roles = custom_roles

    @staticmethod
    def create_id(reseller_number: int) -> UUID:
        return team_policy_id(reseller_number)

    @classmethod
    def carried_over(cls, reseller: Reseller) -> TeamPolicy:
        """The policy of a reseller that has no stored one: what its own (legacy) events say."""
        return cls(
            reseller_number=reseller.number,
            require_two_factor=reseller.require_two_factor,
            manage_sub_resellers=reseller.manage_sub_resellers,
            custom_roles=dict(reseller.custom_roles),
        )

    # Every event names the reseller, so a projection need not know the policy's id.
    class SecuritySettingsChanged(Aggregate.Event):
        reseller_number: int
        require_two_factor: bool
        manage_sub_resellers: bool

    @event(SecuritySettingsChanged)
    def _change_security_settings(
        self, reseller_number: int, require_two_factor: bool, manage_sub_resellers: bool
    ) -> None:
        self.require_two_factor = require_two_factor
        self.manage_sub_resellers = manage_sub_resellers

    def change_security_settings(
        self, require_two_factor: bool | None, manage_sub_resellers: bool | None
    ) -> bool:
        """Change the settings given (None keeps one); False when nothing changes."""
        new = (
            self.require_two_factor if require_two_factor is None else require_two_factor,
            self.manage_sub_resellers if manage_sub_resellers is None else manage_sub_resellers,
        )
        if new == (self.require_two_factor, self.manage_sub_resellers):
            return False
        self._change_security_settings(self.reseller_number, *new)
        return True

    class CustomRoleDefined(Aggregate.Event):
        reseller_number: int
        name: str
        base_role: str
        permissions: list[str]

    @event(CustomRoleDefined)
    def _define_custom_role(
        self, reseller_number: int, name: str, base_role: str, permissions: list[str]
    ) -> None:
        self.custom_roles = {
            **self.custom_roles,
            name: {"base_role": base_role, "permissions": permissions},
        }

    def define_custom_role(self, name: str, base_role: str, permissions: list[str]) -> None:
        """A named permission template on top of a built-in role (whose rank it keeps).
        Redefining a role changes it for every user who holds it."""
        name = name.strip().lower()
        if not CUSTOM_ROLE_PATTERN.match(name) or name in BUILT_IN_ROLE_NAMES:
            raise DomainError(
                "a custom role name is 2-40 lowercase letters, digits, '-' or '_', and not a "
                "built-in role",
                field="name",
            )
        if len(self.custom_roles) >= MAX_CUSTOM_ROLES and name not in self.custom_roles:
            raise DomainError(f"at most {MAX_CUSTOM_ROLES} custom roles", field="name")
        self._define_custom_role(self.reseller_number, name, base_role, permissions)

    class CustomRoleRemoved(Aggregate.Event):
        reseller_number: int
        name: str

    @event(CustomRoleRemoved)
    def _remove_custom_role(self, reseller_number: int, name: str) -> None:
        self.custom_roles = {k: v for k, v in self.custom_roles.items() if k != name}

    def remove_custom_role(self, name: str) -> None:
        if name not in self.custom_roles:
            raise DomainError(f"no custom role {name!r}", field="name")
        self._remove_custom_role(self.reseller_number, name)
