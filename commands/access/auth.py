"""Login with password and TOTP, sessions, logout, two-factor enrollment, password changes.

Unknown reseller code, unknown user, wrong password and a disabled account all get the same
answer (401), after the same Argon2 work; failures count against the account key and the
source-IP key, and a locked key answers 429 whatever the password. A TOTP code is accepted at
most one step off and only for a step later than the last one accepted; the step is recorded in
the login event, so two concurrent logins with one code cannot both succeed (the second save
conflicts, reloads and sees the step used).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import pyotp
import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError
from pydantic import Field

from commands.access.team_policy import load_team_policy
from commands.errors import CommandError, Conflict, Forbidden, NotFound, Unprocessable
from commands.models import CommandModel
from commands.ports import SecretBox, SessionLimitReached, SessionRecord, SessionStore, Throttle
from commands.principal import Principal, RequestContext
from commands.runner import Outcome, Store, run_command
from commands.store_access import load
from domain.access.auth_policy import (
    PasswordPolicy,
    SessionPolicy,
    SessionState,
    ThrottlePolicy,
    ThrottleState,
)
from domain.access.roles import Permission, Role
from domain.access.users import ResellerUser, ip_allowed, normalise_username, user_id
from domain.ledger.errors import DomainError
from domain.partners.reseller import Reseller, ResellerCode, reseller_id

log = structlog.get_logger(__name__)
SESSION_PREFIX = "rs_"
TOTP_STEP_S = 30
TOTP_DRIFT_STEPS = 1
RECOVERY_CODES = 10
TOUCH_EVERY = timedelta(seconds=15)
MAX_CREDENTIAL_LENGTH = 256

# OWASP minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
PASSWORDS = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class InvalidCredentials(CommandError):
    status_code = 401


class TooManyAttempts(CommandError):
    status_code = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("too many failed attempts; try again later")
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


class TwoFactorRequired(CommandError):
    status_code = 401


ACCOUNT_THROTTLE = ThrottlePolicy(
    max_failures=5,
    window=timedelta(minutes=15),
    base_lockout=timedelta(minutes=1),
    max_lockout=timedelta(hours=1),
)
IP_THROTTLE = ThrottlePolicy(
    max_failures=20,
    window=timedelta(minutes=15),
    base_lockout=timedelta(minutes=5),
    max_lockout=timedelta(hours=1),
)


@dataclass(frozen=True)
class AuthConfig:
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    account_throttle: ThrottlePolicy = field(default_factory=lambda: ACCOUNT_THROTTLE)
    ip_throttle: ThrottlePolicy = field(default_factory=lambda: IP_THROTTLE)
    totp_issuer: str = "Reseller Ledger"


@dataclass(frozen=True)
class AuthServices:
    config: AuthConfig
    sessions: SessionStore
    throttle: Throttle
    box: SecretBox


# -- secrets ----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return PASSWORDS.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check against."""
    try:
        return PASSWORDS.verify(password_hash or _decoy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    return [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]


def _normalise_recovery_code(code: str) -> str:
    return code.strip().lower()


def totp_step_matching(secret: str, code: str, now: datetime) -> int | None:
    """The time step (±1) whose TOTP equals `code`, or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    current = int(now.timestamp()) // TOTP_STEP_S
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_S), code):
            return step
    return None


def recovery_code_index(hashes: list[str], code: str) -> int | None:
    digest = hash_secret(_normalise_recovery_code(code))
    for index, stored in enumerate(hashes):
        if stored and hmac.compare_digest(stored, digest):
            return index
    return None


# -- login ------------------------------------------------------------------------------------


class Login(CommandModel):
    """Seed §1.2, as-is."""

    username: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)
    password: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)
    reseller_code: str = Field(min_length=1, max_length=64)
    two_factor_code: str | None = Field(default=None, max_length=32)


def _throttle_keys(command: Login, ip: str | None) -> tuple[str, str]:
    account = f"account:{command.reseller_code.strip().upper()}:{command.username.strip().lower()}"
    return account, f"ip:{ip or 'unknown'}"


def _check_not_locked(auth: AuthServices, keys: tuple[str, str], now: datetime) -> None:
    states = auth.throttle.load(list(keys))
    locked = [s.locked_until for s in states.values() if s.locked_until and s.is_locked(now)]
    if locked:
        log.warning("login.throttled", key_kinds=[k.split(":", 1)[0] for k in keys])
        raise TooManyAttempts(max(1, int((max(locked) - now).total_seconds()) + 1))


def _count_failure(auth: AuthServices, keys: tuple[str, str], now: datetime) -> None:
    states = auth.throttle.load(list(keys))
    account_key, ip_key = keys
    for key, policy in (
        (account_key, auth.config.account_throttle),
        (ip_key, auth.config.ip_throttle),
    ):
        auth.throttle.save(key, states.get(key, ThrottleState()).after_failure(policy, now))


def _find_user(store: Store, command: Login) -> ResellerUser | None:
    try:
        code = command.reseller_code.strip().upper()
        claim: ResellerCode = store.repository.get(ResellerCode.create_id(code))
        username = normalise_username(command.username)
        user: Any = store.repository.get(user_id(claim.reseller_number, username))
    except (AggregateNotFoundError, DomainError):
        return None
    return user if isinstance(user, ResellerUser) else None


def _user_context(
    context: RequestContext, user: ResellerUser, session_id: str | None
) -> RequestContext:
    principal = Principal(
        subject=f"user:{user.id}",
        role=Role(user.role),
        reseller_number=user.reseller_number,
        user_id=user.id,
        session_id=session_id,
    )
    return RequestContext(
        principal=principal,
        request_id=context.request_id,
        received_at=context.received_at,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
    )


def _record_failure(store: Store, context: RequestContext, user: ResellerUser, reason: str) -> None:
    def handle() -> Outcome:
        fresh = load(store, user.id, ResellerUser, "user")
        fresh.login_failed(reason, context.client_ip, context.user_agent)
        return Outcome([fresh], {}, fresh.tenant_number, fresh.reseller_number)

    run_command(store, _user_context(context, user, None), handle, "login_failed")


def login(
    store: Store, auth: AuthServices, context: RequestContext, command: Login
) -> dict[str, Any]:
    now = context.received_at
    keys = _throttle_keys(command, context.client_ip)
    _check_not_locked(auth, keys, now)
    user = _find_user(store, command)
    password_ok = verify_password(user.password_hash if user else None, command.password)
    if user is None or not password_ok or not user.is_active:
        log.warning("login.failed", ip=context.client_ip, known_user=user is not None)
        _count_failure(auth, keys, now)
        if user is not None:
            reason = "wrong_password" if not password_ok else "disabled"
            _record_failure(store, context, user, reason)
        raise InvalidCredentials("invalid username, password or reseller code")
    if not ip_allowed(user.ip_whitelist, context.client_ip):
        _record_failure(store, context, user, "ip_not_allowed")
        raise Forbidden("logins are not allowed from this address")

    totp_step = recovery_index = None
    if user.has_two_factor:
        code = (command.two_factor_code or "").strip()
        if not code:
            raise TwoFactorRequired("a two_factor_code is required", field="two_factor_code")
        if user.totp_secret_encrypted is None:
            raise InvalidCredentials("two-factor authentication is not set up")
        totp_step = totp_step_matching(auth.box.decrypt(user.totp_secret_encrypted), code, now)
        if totp_step is None:
            recovery_index = recovery_code_index(user.recovery_code_hashes, code)
        if (totp_step is None and recovery_index is None) or (
            totp_step is not None and totp_step <= user.totp_last_step
        ):
            _count_failure(auth, keys, now)
            _record_failure(store, context, user, "wrong_two_factor_code")
            raise InvalidCredentials("invalid two-factor code", field="two_factor_code")

    reseller = load(store, reseller_id(user.reseller_number), Reseller, "reseller")
    scope = "full"
    if user.must_change_password:
        scope = "change_password"
    elif load_team_policy(store, reseller).require_two_factor and not user.has_two_factor:
        scope = "enroll_2fa"
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    session_id = str(uuid.uuid4())
    policy = auth.config.session_policy
    record = SessionRecord(
        session_id=session_id,
        user_id=user.id,
        reseller_number=user.reseller_number,
        created_at=now,
        last_seen_at=now,
        security_version=user.security_version,
        scope=scope,
        revoked_at=None,
        ip=context.client_ip,
        user_agent=context.user_agent,
    )
    try:
        evicted = auth.sessions.create(
            record,
            hash_secret(token),
            max_concurrent=policy.max_concurrent,
            evict_oldest=policy.on_limit == "evict_oldest",
            active_since=now - policy.absolute_lifetime,
            idle_since=now - policy.idle_timeout,
        )
    except SessionLimitReached:
        raise Conflict("the most concurrent sessions are open; log out elsewhere first") from None

    def handle() -> Outcome:
        fresh = load(store, user.id, ResellerUser, "user")
        fresh.logged_in(
            session_id, context.client_ip, context.user_agent, totp_step, recovery_index
        )
        if evicted:
            fresh.sessions_revoked(evicted, "concurrent_session_limit")
        if PASSWORDS.check_needs_rehash(fresh.password_hash or ""):
            fresh.rehash_password(hash_password(command.password))
        return Outcome([fresh], {}, fresh.tenant_number, fresh.reseller_number)

    try:
        run_command(store, _user_context(context, user, session_id), handle, "login")
    except Exception:
        auth.sessions.revoke([session_id], now, "login_failed")
        raise
    auth.throttle.clear(keys[0])
    log.info(
        "login.succeeded",
        user=f"user:{user.id}",
        reseller=user.reseller_number,
        ip=context.client_ip,
        scope=scope,
    )
    return {
        "session_token": token,
        "session_id": session_id,
        "expires_at": (now + policy.absolute_lifetime).isoformat(),
        "idle_timeout_s": int(policy.idle_timeout.total_seconds()),
        "scope": scope,
        "must_change_password": user.must_change_password,
        "two_factor_enrollment_required": scope == "enroll_2fa",
        "password_change_required": scope == "change_password",
        "user": {
            "user_id": str(user.id),
            "username": user.username,
            "role": user.role,
            "reseller_id": user.reseller_number,
        },
    }


# -- authenticating a session -----------------------------------------------------------------


def managed_resellers(store: Store, reseller: Reseller, limit: int = 10_000) -> frozenset[int]:
    """Every descendant of a reseller that lets its admins manage sub-resellers."""
    if not load_team_policy(store, reseller).manage_sub_resellers:
        return frozenset()
    found: set[int] = set()
    queue = list(reseller.children)
    while queue and len(found) < limit:
        number = queue.pop()
        if number in found:
            continue
        found.add(number)
        queue.extend(load(store, reseller_id(number), Reseller, "reseller").children)
    return frozenset(found)


def authenticate_session(
    store: Store, auth: AuthServices, token: str, now: datetime, client_ip: str | None
) -> Principal | None:
    """The principal of a live session token; None when the session is over. Raises Forbidden
    when the user's IP whitelist refuses the address."""
    if not token.startswith(SESSION_PREFIX) or len(token) > MAX_CREDENTIAL_LENGTH:
        return None
    record = auth.sessions.find(hash_secret(token))
    if record is None:
        return None
    try:
        user = load(store, record.user_id, ResellerUser, "user")
    except NotFound:
        return None
    state = SessionState(
        record.created_at,
        record.last_seen_at,
        record.security_version,
        record.revoked_at is not None,
    )
    reason = state.end_reason(auth.config.session_policy, now, user.security_version)
    if reason is None and not user.is_active:
        reason = "disabled"
    if reason is not None:
        if record.revoked_at is None:
            auth.sessions.revoke([record.session_id], now, reason)
        return None
    if not ip_allowed(user.ip_whitelist, client_ip):
        raise Forbidden("this address is not on the user's IP whitelist")
    if now - record.last_seen_at >= TOUCH_EVERY:
        auth.sessions.touch(record.session_id, now)
    reseller = load(store, reseller_id(user.reseller_number), Reseller, "reseller")
    permissions = user.effective_permissions(now, load_team_policy(store, reseller).custom_roles)
    managed: frozenset[int] = frozenset()
    if Permission.SUB_RESELLER_MANAGE in permissions:
        managed = managed_resellers(store, reseller)
    return Principal(
        subject=f"user:{user.id}",
        role=Role(user.role),
        reseller_number=user.reseller_number,
        explicit_permissions=permissions,
        managed_resellers=managed,
        allowed_customer_ids=frozenset(user.allowed_customer_ids),
        user_id=user.id,
        session_id=record.session_id,
        session_scope=record.scope,
    )


# -- sessions ---------------------------------------------------------------------------------


def session_view(record: SessionRecord, current: str | None) -> dict[str, Any]:
    return {
        "session_id": record.session_id,
        "created_at": record.created_at.isoformat(),
        "last_seen_at": record.last_seen_at.isoformat(),
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "current": record.session_id == current,
    }


def _require_user(context: RequestContext) -> uuid.UUID:
    if context.principal.user_id is None:
        raise Forbidden("only a logged-in user has sessions")
    return context.principal.user_id


def list_own_sessions(auth: AuthServices, context: RequestContext) -> list[dict[str, Any]]:
    uid = _require_user(context)
    return [
        session_view(r, context.principal.session_id)
        for r in auth.sessions.list_for_user(uid)
        if r.revoked_at is None
    ]


def revoke_sessions(
    store: Store,
    auth: AuthServices,
    context: RequestContext,
    target_user: uuid.UUID,
    session_ids: list[str] | None,
    reason: str,
) -> list[str]:
    """Revoke some (or all) of a user's sessions and record it on the user."""
    now = context.received_at
    if session_ids is None:
        revoked = auth.sessions.revoke_all(target_user, now, reason)
    else:
        owned = {r.session_id for r in auth.sessions.list_for_user(target_user)}
        if not set(session_ids) <= owned:
            raise NotFound("session not found")
        revoked = auth.sessions.revoke(session_ids, now, reason)
    if revoked:

        def handle() -> Outcome:
            user = load(store, target_user, ResellerUser, "user")
            user.sessions_revoked(revoked, reason)
            return Outcome([user], {}, user.tenant_number, user.reseller_number)

        run_command(store, context, handle, f"revoke:{uuid.uuid4()}")
    return revoked


def logout(store: Store, auth: AuthServices, context: RequestContext) -> None:
    uid = _require_user(context)
    if context.principal.session_id is None:
        raise Forbidden("only a session can be logged out")
    revoke_sessions(store, auth, context, uid, [context.principal.session_id], "logout")


# -- password and second factor ---------------------------------------------------------------


class ChangePassword(CommandModel):
    current_password: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)
    new_password: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)


class ReAuthenticate(CommandModel):
    password: str = Field(min_length=1, max_length=MAX_CREDENTIAL_LENGTH)


class ConfirmTwoFactor(CommandModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


def _no_idempotency_key(context: RequestContext, what: str) -> None:
    """A response that holds a secret, or a request that holds a password, is never stored, so
    it cannot be replayed: a key is refused up front rather than half-honoured (a repeat or a
    concurrent twin would get 'already used for a different request')."""
    if context.idempotency_key is not None:
        raise Unprocessable(f"{what} take no Idempotency-Key", field="Idempotency-Key")


def _own_user(store: Store, context: RequestContext) -> ResellerUser:
    return load(store, _require_user(context), ResellerUser, "user")


def _reauthenticate(user: ResellerUser, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials("the password is wrong", field="password")


def change_password(
    store: Store, auth: AuthServices, context: RequestContext, command: ChangePassword
) -> dict[str, Any]:
    _no_idempotency_key(context, "password changes (the request holds passwords)")
    user = _own_user(store, context)
    _reauthenticate(user, command.current_password)
    auth.config.password_policy.check(command.new_password, user.username)
    new_hash = hash_password(command.new_password)

    def handle() -> Outcome:
        fresh = load(store, user.id, ResellerUser, "user")
        fresh.set_password_hash(new_hash, must_change=False)
        return Outcome([fresh], {}, fresh.tenant_number, fresh.reseller_number)

    run_command(store, context, handle, f"password:{uuid.uuid4()}")
    auth.sessions.revoke_all(user.id, context.received_at, "password_changed")
    return {"password_changed": True, "sessions_ended": True}


def start_two_factor(
    store: Store, auth: AuthServices, context: RequestContext, command: ReAuthenticate
) -> dict[str, Any]:
    """A new TOTP secret, pending until a code from it is confirmed. Shown once."""
    _no_idempotency_key(context, "two-factor enrollments (the response holds the secret)")
    user = _own_user(store, context)
    _reauthenticate(user, command.password)
    secret = pyotp.random_base32()

    def handle() -> Outcome:
        fresh = load(store, user.id, ResellerUser, "user")
        fresh.start_two_factor_enrollment(auth.box.encrypt(secret))
        return Outcome([fresh], {}, fresh.tenant_number, fresh.reseller_number)

    run_command(store, context, handle, f"2fa-start:{uuid.uuid4()}")
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=f"{user.username}", issuer_name=auth.config.totp_issuer
    )
    return {"secret": secret, "provisioning_uri": uri}


def confirm_two_factor(
    store: Store, auth: AuthServices, context: RequestContext, command: ConfirmTwoFactor
) -> dict[str, Any]:
    _no_idempotency_key(context, "two-factor confirmations (the response holds the recovery codes)")
    user = _own_user(store, context)
    if user.totp_pending_encrypted is None:
        raise Unprocessable("start two-factor enrollment first", field="code")
    step = totp_step_matching(
        auth.box.decrypt(user.totp_pending_encrypted), command.code, context.received_at
    )
    if step is None:
        raise Unprocessable("the code does not match", field="code")
    codes = new_recovery_codes()

    def handle() -> Outcome:
        fresh = load(store, user.id, ResellerUser, "user")
        fresh.enable_two_factor([hash_secret(c) for c in codes], step)
        return Outcome([fresh], {}, fresh.tenant_number, fresh.reseller_number)

    run_command(store, context, handle, f"2fa-confirm:{uuid.uuid4()}")
    auth.sessions.revoke_all(user.id, context.received_at, "two_factor_enabled")
    return {"two_factor_enabled": True, "recovery_codes": codes, "sessions_ended": True}


def disable_two_factor(
    store: Store, auth: AuthServices, context: RequestContext, command: ReAuthenticate
) -> dict[str, Any]:
    _no_idempotency_key(context, "requests turning two-factor off (they hold a password)")
    user = _own_user(store, context)
    _reauthenticate(user, command.password)

    def handle() -> Outcome:
        fresh = load(store, user.id, ResellerUser, "user")
        fresh.disable_two_factor()
        return Outcome([fresh], {}, fresh.tenant_number, fresh.reseller_number)

    run_command(store, context, handle, f"2fa-off:{uuid.uuid4()}")
    auth.sessions.revoke_all(user.id, context.received_at, "two_factor_disabled")
    return {"two_factor_enabled": False, "sessions_ended": True}
