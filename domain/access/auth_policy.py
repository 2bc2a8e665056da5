"""Rules for passwords, failed-login throttling and sessions. Pure: time comes in as arguments.

Throttling keeps, per key (an account, a source IP), the failures inside a sliding window. At
the limit the key is locked; each further lockout doubles, up to a cap. A successful login
clears the account's key, not the IP's. Sessions end after an idle timeout, at an absolute
lifetime, on logout or revocation, and when the user's security version moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.access.roles import Permission, Role, lower_role
from domain.ledger.errors import DomainError


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = 128
    min_character_classes: int = 2
    """Of lowercase, uppercase, digits and others."""

    def check(self, password: str, username: str) -> None:
        if not self.min_length <= len(password) <= self.max_length:
            raise DomainError(
                f"password must be {self.min_length}-{self.max_length} characters",
                field="password",
            )
        classes = sum(
            any(test(c) for c in password)
            for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
        )
        if classes < self.min_character_classes:
            raise DomainError(
                f"password must mix at least {self.min_character_classes} of lowercase, "
                "uppercase, digits and symbols",
                field="password",
            )
        if username and username.lower() in password.lower():
            raise DomainError("password must not contain the username", field="password")


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    base_lockout: timedelta
    max_lockout: timedelta


@dataclass(frozen=True, slots=True)
class ThrottleState:
    failures: int = 0
    window_started: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, policy: ThrottlePolicy, now: datetime) -> ThrottleState:
        state = self
        if state.window_started is None or now - state.window_started > policy.window:
            state = replace(state, failures=0, window_started=now)
        state = replace(state, failures=state.failures + 1)
        if state.failures >= policy.max_failures:
            lockout = min(policy.max_lockout, policy.base_lockout * (2**state.lockouts))
            state = ThrottleState(
                failures=0,
                window_started=now,
                locked_until=now + lockout,
                lockouts=state.lockouts + 1,
            )
        return state


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=12)
    max_concurrent: int = 5
    on_limit: str = "refuse"
    """'refuse' the new login, or 'evict_oldest' session."""

    def __post_init__(self) -> None:
        if self.on_limit not in ("refuse", "evict_oldest"):
            raise ValueError("on_limit must be 'refuse' or 'evict_oldest'")


@dataclass(frozen=True, slots=True)
class SessionState:
    created_at: datetime
    last_seen_at: datetime
    security_version: int
    revoked: bool

    def end_reason(
        self, policy: SessionPolicy, now: datetime, current_security_version: int
    ) -> str | None:
        """Why the session is over, or None while it is valid."""
        if self.revoked:
            return "revoked"
        if now >= self.created_at + policy.absolute_lifetime:
            return "expired"
        if now >= self.last_seen_at + policy.idle_timeout:
            return "idle"
        if current_security_version != self.security_version:
            return "credentials_changed"
        return None


@dataclass(frozen=True, slots=True)
class TokenBounds:
    """What a token may do now: its role and permissions, narrowed by its issuer's."""

    role: Role
    permissions: frozenset[Permission]


def bound_by_issuer(
    token_role: Role,
    token_permissions: frozenset[Permission],
    issuer: TokenBounds | None,
) -> TokenBounds:
    """A token never outlives or outgrows its issuer: the effective permissions are the
    intersection of the token's and the issuer's current ones, and its role is the lower of
    the two (a demoted issuer's admin token acts as the issuer's new role). `issuer` is None
    for a root token (issued from the command line). A disabled issuer, or an issuer token
    that is no longer valid, ends the token: the caller does not get here."""
    if issuer is None:
        return TokenBounds(token_role, token_permissions)
    return TokenBounds(lower_role(token_role, issuer.role), token_permissions & issuer.permissions)
