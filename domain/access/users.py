"""Reseller users: the reseller side's own user database (seed §1.2, §7).

A user belongs to one reseller; its id is derived from (reseller, username), so usernames are
unique per reseller. The user aggregate holds what authentication needs (password hash, the
encrypted TOTP secret, hashed recovery codes, the last accepted TOTP step) and a
`security_version` that every session remembers: disabling the account, or changing a password
or second factor, moves it on and ends every session.

Effective permissions: the explicit `permissions` list when one is given, otherwise the role's
template; plus temporary grants that have not expired; all of it cut down to the role's
template (and closed under "changing implies seeing"). Nobody can give more than they hold
(checked by the command layer, which knows who acts).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.access.roles import (
    ISP_ONLY,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    beyond_template,
    bounded_by_role,
)
from domain.ledger.errors import DomainError
from domain.ledger.ids import derived_id
from domain.ledger.personal import PersonalText, personal

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{2,63}$")
RESELLER_ROLES = (Role.ADMIN, Role.MANAGER, Role.USER, Role.READONLY)
MAX_WHITELIST = 50
MAX_ALLOWED_CUSTOMERS = 1000
PROFILE_FIELDS = (
    "email", "first_name", "last_name", "role", "custom_role", "permissions",
    "allowed_customer_ids", "ip_whitelist", "department",
)  # fmt: skip


PERSONAL_PROFILE_FIELDS = ("email", "first_name", "last_name")
"""Held as `PersonalText` (the username stays in clear: it is the login identifier)."""


def user_id(reseller_number: int, username: str) -> UUID:
    return derived_id("reseller-user", reseller_number, username)


def normalise_username(username: str) -> str:
    normalised = username.strip().lower()
    if not USERNAME_PATTERN.match(normalised):
        raise DomainError(
            "username must be 3-64 characters: letters, digits and . _ @ + -", field="username"
        )
    return normalised


def parse_role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        raise DomainError(
            f"role must be one of {', '.join(r.value for r in RESELLER_ROLES)}", field="role"
        ) from None
    if role not in RESELLER_ROLES:
        raise DomainError("reseller users cannot hold the isp_admin role", field="role")
    return role


def parse_permissions(values: list[str], realm: str = "reseller") -> list[str]:
    """Known permission names, sorted; the master ISP's own ones only in its realm."""
    parsed = []
    for value in values:
        try:
            permission = Permission(value)
        except ValueError:
            raise DomainError(f"unknown permission {value!r}", field="permissions") from None
        if permission in ISP_ONLY and realm != "isp":
            raise DomainError(f"{value} belongs to the master ISP", field="permissions")
        parsed.append(permission.value)
    return sorted(set(parsed))


def check_within_template(role: Role, permissions: list[str], field: str = "permissions") -> None:
    """Refuse permissions (with what they imply) that the role's template does not allow."""
    beyond = beyond_template(role, frozenset(Permission(p) for p in permissions))
    if beyond:
        raise DomainError(
            f"the {role.value} role does not allow {', '.join(sorted(beyond))}", field=field
        )


def parse_whitelist(values: list[str]) -> list[str]:
    if len(values) > MAX_WHITELIST:
        raise DomainError(f"at most {MAX_WHITELIST} entries", field="ip_whitelist")
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise DomainError(
                f"{value!r} is not an IP address or CIDR", field="ip_whitelist"
            ) from None
    return sorted(set(networks))


def ip_allowed(whitelist: list[str], ip: str | None) -> bool:
    """An empty whitelist allows every address; otherwise the address must be in one entry."""
    if not whitelist:
        return True
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr) for cidr in whitelist)


class ResellerUser(Aggregate):
    class Created(Aggregate.Created):
        reseller_number: int
        tenant_number: int
        username: str
        email: PersonalText
        first_name: PersonalText | None
        last_name: PersonalText | None
        role: str
        custom_role: str | None
        permissions: list[str]
        allowed_customer_ids: list[str]
        ip_whitelist: list[str]
        department: str | None

    @event(Created)
    def __init__(
        self,
        reseller_number: int,
        tenant_number: int,
        username: str,
        email: PersonalText,
        first_name: PersonalText | None,
        last_name: PersonalText | None,
        role: str,
        custom_role: str | None,
        permissions: list[str],
        allowed_customer_ids: list[str],
        ip_whitelist: list[str],
        department: str | None,
    ) -> None:
        self.reseller_number = reseller_number
        self.tenant_number = tenant_number
        self.username = username
        self.email = email
        self.first_name = first_name
        self.last_name = last_name
        self.role = role
        self.custom_role = custom_role
        self.permissions = permissions
        self.allowed_customer_ids = allowed_customer_ids
        self.ip_whitelist = ip_whitelist
        self.department = department
        self.status = "active"
        self.password_hash: str | None = None
        self.must_change_password = False
        self.security_version = 1
        self.totp_secret_encrypted: str | None = None
        self.totp_pending_encrypted: str | None = None
        self.totp_last_step = 0
        self.recovery_code_hashes: list[str] = []
        self.grants: dict[str, datetime] = {}

    @staticmethod
    def create_id(reseller_number: int, username: str) -> UUID:
        return user_id(reseller_number, username)

    @classmethod
    def register(cls, **fields: Any) -> ResellerUser:
        fields["username"] = normalise_username(fields["username"])
        # The user is the data subject of its own e-mail address and name.
        subject_id = user_id(fields["reseller_number"], fields["username"])
        for field in PERSONAL_PROFILE_FIELDS:
            fields[field] = personal(subject_id, fields[field])
        fields["role"] = parse_role(fields["role"]).value
        fields["permissions"] = parse_permissions(fields["permissions"])
        fields["ip_whitelist"] = parse_whitelist(fields["ip_whitelist"])
        if len(fields["allowed_customer_ids"]) > MAX_ALLOWED_CUSTOMERS:
            raise DomainError("too many allowed customers", field="allowed_customer_ids")
        return cls(**fields)

    # -- what the user may do -------------------------------------------------------------

    def base_permissions(
        self, custom_roles: dict[str, dict[str, Any]] | None = None
    ) -> frozenset[Permission]:
        """Explicit permissions, else the custom role's (as currently defined), else the
        built-in role's template. A custom role that was removed grants nothing."""
        role = Role(self.role)
        if self.permissions:
            return bounded_by_role(role, frozenset(Permission(p) for p in self.permissions))
        if self.custom_role is not None:
            definition = (custom_roles or {}).get(self.custom_role)
            if definition is None:
                return frozenset()
            return bounded_by_role(
                role, frozenset(Permission(p) for p in definition["permissions"])
            )
        return ROLE_PERMISSIONS[role]

    def effective_permissions(
        self, now: datetime, custom_roles: dict[str, dict[str, Any]] | None = None
    ) -> frozenset[Permission]:
        """Base permissions plus unexpired temporary grants, all within the role's template:
        whatever was stored, a role never yields more than its template allows."""
        granted = frozenset(Permission(p) for p, until in self.grants.items() if now < until)
        return self.base_permissions(custom_roles) | bounded_by_role(Role(self.role), granted)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret_encrypted is not None

    # -- profile --------------------------------------------------------------------------

    class ProfileChanged(Aggregate.Event):
        changes: dict[str, Any]
        """field -> [before, after]"""

    @event(ProfileChanged)
    def _change_profile(self, changes: dict[str, Any]) -> None:
        for field, (_before, after) in changes.items():
            setattr(self, field, after)
        if {"role", "custom_role", "permissions", "ip_whitelist"} & changes.keys():
            self.security_version += 1

    def change_profile(self, **updates: Any) -> dict[str, Any]:
        if "role" in updates:
            updates["role"] = parse_role(updates["role"]).value
        if "permissions" in updates:
            updates["permissions"] = parse_permissions(updates["permissions"])
        if "ip_whitelist" in updates:
            updates["ip_whitelist"] = parse_whitelist(updates["ip_whitelist"])
        for field in PERSONAL_PROFILE_FIELDS:
            if field in updates:
                updates[field] = personal(self.id, updates[field])
        changes = {
            field: [getattr(self, field), value]
            for field, value in updates.items()
            if field in PROFILE_FIELDS and getattr(self, field) != value
        }
        if changes:
            self._change_profile(changes)
        return changes

    # -- lifecycle ------------------------------------------------------------------------

    class Disabled(Aggregate.Event):
        reason: str | None

    @event(Disabled)
    def _disable(self, reason: str | None) -> None:
        self.status = "disabled"
        self.security_version += 1

    def disable(self, reason: str | None) -> None:
        if not self.is_active:
            raise DomainError("the user is already disabled", field="status")
        self._disable(reason)

    class Enabled(Aggregate.Event):
        pass

    @event(Enabled)
    def _enable(self) -> None:
        self.status = "active"

    def enable(self) -> None:
        if self.is_active:
            raise DomainError("the user is already active", field="status")
        self._enable()

    # -- credentials ----------------------------------------------------------------------

    class PasswordSet(Aggregate.Event):
        password_hash: str
        must_change: bool

    @event(PasswordSet)
    def set_password_hash(self, password_hash: str, must_change: bool) -> None:
        self.password_hash = password_hash
        self.must_change_password = must_change
        self.security_version += 1

    class PasswordRehashed(Aggregate.Event):
        """Same password, stronger hashing parameters: sessions stay valid."""

        password_hash: str

    @event(PasswordRehashed)
    def rehash_password(self, password_hash: str) -> None:
        self.password_hash = password_hash

    class TwoFactorEnrollmentStarted(Aggregate.Event):
        secret_encrypted: str

    @event(TwoFactorEnrollmentStarted)
    def start_two_factor_enrollment(self, secret_encrypted: str) -> None:
        self.totp_pending_encrypted = secret_encrypted

    class TwoFactorEnabled(Aggregate.Event):
        recovery_code_hashes: list[str]
        step: int

    @event(TwoFactorEnabled)
    def _enable_two_factor(self, recovery_code_hashes: list[str], step: int) -> None:
        self.totp_secret_encrypted = self.totp_pending_encrypted
        self.totp_pending_encrypted = None
        self.recovery_code_hashes = recovery_code_hashes
        self.totp_last_step = step
        self.security_version += 1

    def enable_two_factor(self, recovery_code_hashes: list[str], step: int) -> None:
        if self.totp_pending_encrypted is None:
            raise DomainError("start two-factor enrollment first", field="code")
        self._enable_two_factor(recovery_code_hashes, step)

    class TwoFactorDisabled(Aggregate.Event):
        pass

    @event(TwoFactorDisabled)
    def _disable_two_factor(self) -> None:
        self.totp_secret_encrypted = None
        self.totp_pending_encrypted = None
        self.recovery_code_hashes = []
        self.security_version += 1

    def disable_two_factor(self) -> None:
        if not self.has_two_factor:
            raise DomainError("two-factor authentication is not enabled", field="two_factor")
        self._disable_two_factor()

    # -- logins ---------------------------------------------------------------------------

    class LoggedIn(Aggregate.Event):
        session_id: str
        ip: str | None
        user_agent: str | None
        method: str
        totp_step: int | None
        recovery_code_index: int | None

    @event(LoggedIn)
    def _logged_in(
        self,
        session_id: str,
        ip: str | None,
        user_agent: str | None,
        method: str,
        totp_step: int | None,
        recovery_code_index: int | None,
    ) -> None:
        if totp_step is not None:
            self.totp_last_step = totp_step
        if recovery_code_index is not None:
            hashes = list(self.recovery_code_hashes)
            hashes[recovery_code_index] = ""
            self.recovery_code_hashes = hashes

    def logged_in(
        self,
        session_id: str,
        ip: str | None,
        user_agent: str | None,
        totp_step: int | None = None,
        recovery_code_index: int | None = None,
    ) -> None:
        if totp_step is not None and totp_step <= self.totp_last_step:
            raise DomainError("this two-factor code was already used", field="two_factor_code")
        method = "password"
        if totp_step is not None:
            method = "password+totp"
        elif recovery_code_index is not None:
            method = "password+recovery_code"
        self._logged_in(session_id, ip, user_agent, method, totp_step, recovery_code_index)

    class LoginFailed(Aggregate.Event):
        reason: str
        ip: str | None
        user_agent: str | None

    @event(LoginFailed)
    def login_failed(self, reason: str, ip: str | None, user_agent: str | None) -> None:
        pass

    class SessionsRevoked(Aggregate.Event):
        session_ids: list[str]
        reason: str

    @event(SessionsRevoked)
    def sessions_revoked(self, session_ids: list[str], reason: str) -> None:
        pass

    # -- temporary grants -----------------------------------------------------------------

    class PermissionGranted(Aggregate.Event):
        permission: str
        until: datetime

    @event(PermissionGranted)
    def _grant(self, permission: str, until: datetime) -> None:
        self.grants = {**self.grants, permission: until}

    def grant_temporarily(self, permission: str, until: datetime, now: datetime) -> None:
        if until <= now:
            raise DomainError("a temporary grant must end in the future", field="expires_at")
        self._grant(parse_permissions([permission])[0], until)
