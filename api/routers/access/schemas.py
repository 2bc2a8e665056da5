"""Response shapes of the access routes, for the OpenAPI document and for clients. Each
forbids fields it does not name, so a test that validates a real body against it fails when
the body carries a field the document does not describe."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AccessOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserOut(AccessOut):
    """A team member as `GET /users/{user_id}` shows it (and every write to the user answers)."""

    user_id: str
    reseller_id: int
    username: str
    email: str | None
    first_name: str | None
    last_name: str | None
    role: str
    base_role: str
    permissions: list[str]
    allowed_customer_ids: list[str]
    ip_whitelist: list[str]
    department: str | None
    status: str
    two_factor_enabled: bool
    version: int


class UserWithGrantsOut(UserOut):
    grants: dict[str, str]
    """Each temporary permission with the instant (ISO 8601) it lapses at."""


class SecuritySettingsOut(AccessOut):
    reseller_id: int
    require_two_factor: bool
    manage_sub_resellers: bool


class RoleTemplateOut(AccessOut):
    base_role: str
    permissions: list[str]


class RolesOut(AccessOut):
    """The built-in role templates and the reseller's custom roles, by name."""

    reseller_id: int
    built_in: dict[str, RoleTemplateOut]
    custom: dict[str, RoleTemplateOut]


class TokenRevokedOut(AccessOut):
    token_id: str
    revoked: bool
