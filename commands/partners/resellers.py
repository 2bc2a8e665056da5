"""Creating resellers (the master ISP) and sub-resellers (a reseller's admins, seed §11):
number, code claim, reseller, its terms and its credit account at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.errors import Conflict, PreconditionFailed, Unprocessable
from commands.models import Amount, ApiDate, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access.roles import Permission
from domain.credit.credit_account import CreditAccount, credit_account_id
from domain.ledger.money import Money
from domain.partners.reseller import (
    Reseller,
    ResellerCode,
    ResellerRegistry,
    normalise_code,
    reseller_id,
)


class ResellerTerms(CommandModel):
    commission_percent: Amount | None = Field(default=None, ge=0, le=100, examples=["8.00"])
    customer_limit: int | None = Field(default=None, ge=0, le=10_000_000, examples=[500])
    allowed_services: list[Literal["internet", "voice", "bundle", "value_added"]] | None = Field(
        default=None, examples=[["internet", "voice"]]
    )
    inherited_branding: bool = False


class CreateReseller(ResellerTerms):
    reseller_code: str = Field(min_length=2, max_length=32, examples=["ABC_ISP"])
    name: str = Field(min_length=1, max_length=200, examples=["ABC Internet Services"])
    country: str = Field(min_length=2, max_length=2, examples=["NG"])
    currency: Currency
    parent_reseller_id: int | None = Field(default=None, ge=1)
    credit_limit: Amount = Field(default=Decimal(0), ge=0)
    opened_on: ApiDate | None = Field(
        default=None,
        description="First business date, for a reseller migrated with its history (today when "
        "absent): no money event may be dated before it",
    )


class CreateSubReseller(ResellerTerms):
    """Seed §11.1, as-is: the sub-reseller inherits country and currency from its parent; its
    code is generated unless given."""

    parent_reseller_id: int | None = Field(default=None, ge=1, examples=[1])
    name: str = Field(min_length=1, max_length=200, examples=["Regional ABC Partner"])
    level: int | None = Field(default=None, ge=1, le=8, description="Checked: parent's + 1")
    reseller_code: str | None = Field(default=None, min_length=2, max_length=32)
    credit_limit: Amount = Field(default=Decimal(0), ge=0)


def reseller_view(reseller: Reseller) -> dict[str, Any]:
    return {
        "reseller_id": reseller.number,
        "reseller_code": reseller.code,
        "name": reseller.name,
        "country": reseller.country,
        "currency": reseller.currency,
        "parent_reseller_id": reseller.parent_number,
        "level": reseller.level,
        "status": reseller.status,
        "commission_percent": None
        if reseller.commission_percent is None
        else str(reseller.commission_percent),
        "customer_limit": reseller.customer_limit,
        "customers": reseller.open_customers,
        "allowed_services": reseller.allowed_services,
        "inherited_branding": reseller.inherited_branding,
    }


def _registry(store: Store) -> ResellerRegistry:
    registry_id = ResellerRegistry.create_id()
    if exists(store, registry_id):
        return load(store, registry_id, ResellerRegistry, "registry")
    return ResellerRegistry()


def _register(
    store: Store,
    code: str | None,
    name: str,
    country: str,
    currency: str,
    parent: Reseller | None,
    terms: ResellerTerms,
    limit: Money,
    opened_on: date,
    today: date,
) -> Outcome:
    """Number, code claim, reseller, its terms and its credit account, in one append."""
    registry = _registry(store)
    number = registry.allocate_number()
    code = normalise_code(
        code if code is not None else f"{parent.code if parent else 'R'}-S{number}"
    )
    if exists(store, ResellerCode.create_id(code)):
        raise Conflict(f"reseller_code {code} is taken", field="reseller_code")
    reseller = Reseller.register(
        number=number, code=code, name=name, country=country, currency=currency, parent=parent
    )
    reseller.set_terms(
        parent,
        terms.commission_percent,
        terms.customer_limit,
        None if terms.allowed_services is None else list(terms.allowed_services),
        terms.inherited_branding,
    )
    reseller.set_business_start(opened_on, today, parent)
    claim = ResellerCode(code=code, reseller_number=number)
    account = CreditAccount.open(number, reseller.root_number, limit)
    body = reseller_view(reseller) | {
        "credit_limit": str(limit.amount),
        "version": reseller.version,
    }
    changed: list[Aggregate] = [registry, claim, reseller, account]
    if parent is not None:
        parent.add_child(number)
        changed.append(parent)
    return Outcome(changed, body, reseller.root_number, number, 201)


def create_reseller(
    store: Store, context: RequestContext, command: CreateReseller
) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)
    limit = money(command.credit_limit, command.currency, field="credit_limit")

    def handle() -> Outcome:
        parent = None
        if command.parent_reseller_id is not None:
            parent = load(
                store, reseller_id(command.parent_reseller_id), Reseller, "parent reseller"
            )
        return _register(
            store,
            command.reseller_code,
            command.name,
            command.country,
            command.currency,
            parent,
            command,
            limit,
            command.opened_on or context.received_at.date(),
            context.received_at.date(),
        )

    return run_command(
        store, context, handle, fingerprint("create_reseller", command.model_dump(mode="json"))
    )


def create_sub_reseller(
    store: Store, context: RequestContext, command: CreateSubReseller
) -> CommandResult:
    """A reseller's admin creates a sub-reseller under itself or under one it manages."""
    principal = context.principal
    parent_number = principal.reseller_in_scope(command.parent_reseller_id)
    principal.require(Permission.SUB_RESELLER_MANAGE)

    def handle() -> Outcome:
        parent = load(store, reseller_id(parent_number), Reseller, "parent reseller")
        if command.level is not None and command.level != parent.level + 1:
            raise Unprocessable(
                f"a child of a level-{parent.level} reseller is at level {parent.level + 1}",
                field="level",
            )
        limit = money(command.credit_limit, parent.currency, field="credit_limit")
        # The child's limit is carved out of the parent's available credit (issue 11 §3);
        # only the master ISP grants credit that no parent backs.
        parent_account = load(
            store, credit_account_id(parent.number), CreditAccount, "parent credit account"
        )
        outcome = _register(
            store,
            command.reseller_code,
            command.name,
            parent.country,
            parent.currency,
            parent,
            command,
            limit,
            context.received_at.date(),
            context.received_at.date(),
        )
        parent_account.delegate_to_child(outcome.body["reseller_id"], limit, context.received_at)
        return replace(outcome, aggregates=[*outcome.aggregates, parent_account])

    return run_command(
        store,
        context,
        handle,
        fingerprint("create_sub_reseller", parent_number, command.model_dump(mode="json")),
    )


def tenant_of(store: Store, reseller_number: int) -> int:
    """The tenant (root reseller) a reseller belongs to."""
    return load(store, reseller_id(reseller_number), Reseller, "reseller").root_number


def stored_reseller_view(store: Store, reseller: Reseller) -> dict[str, Any]:
    """A reseller as stored, with the credit limit its credit account records (the same figure
    `GET /credit-account` shows)."""
    view = reseller_view(reseller) | {"version": reseller.version}
    account_id = credit_account_id(reseller.number)
    if exists(store, account_id):
        account = load(store, account_id, CreditAccount, "credit account")
        view["credit_limit"] = str(account.credit_limit.amount)
    return view


def get_reseller(store: Store, context: RequestContext, reseller_number: int) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    return stored_reseller_view(store, load(store, reseller_id(number), Reseller, "reseller"))


def list_sub_resellers(
    store: Store, context: RequestContext, reseller_number: int | None
) -> list[dict[str, Any]]:
    """The direct children of a reseller (its own, or one it manages)."""
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.SUB_RESELLER_MANAGE)
    parent = load(store, reseller_id(number), Reseller, "reseller")
    return [
        stored_reseller_view(store, load(store, reseller_id(child), Reseller, "reseller"))
        for child in parent.children
    ]


class ReconfigureSubReseller(CommandModel):
    """Seed §11.2: a parent changes a child's terms later. Only the fields sent change;
    `null` lifts a limit or the list of services (within the parent's own bounds)."""

    commission_percent: Amount | None = Field(default=None, ge=0, le=100, examples=["7.50"])
    customer_limit: int | None = Field(default=None, ge=0, le=10_000_000, examples=[400])
    allowed_services: list[Literal["internet", "voice", "bundle", "value_added"]] | None = None
    inherited_branding: bool | None = None

    def changes(self) -> dict[str, Any]:
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        if sent.get("inherited_branding", False) is None:
            raise Unprocessable("inherited_branding is true or false", field="inherited_branding")
        return sent


def reconfigure_sub_reseller(
    store: Store,
    context: RequestContext,
    child_number: int,
    command: ReconfigureSubReseller,
    expected_version: int | None = None,
) -> CommandResult:
    """Change a sub-reseller's terms: only its parent's side may (the parent, an ancestor or
    the ISP; never the child itself), within the parent's bounds and never below what the
    child already uses (409 naming it)."""
    principal = context.principal
    changes = command.changes()

    def handle() -> Outcome:
        child = load(store, reseller_id(child_number), Reseller, "reseller")
        # In scope through the parent: the child itself is not its own parent's side.
        if child.parent_number is None:
            principal.require(Permission.RESELLER_MANAGE)  # the master ISP's alone
            parent = None
        else:
            principal.reseller_in_scope(child.parent_number)
            principal.require(Permission.SUB_RESELLER_MANAGE)
            parent = load(store, reseller_id(child.parent_number), Reseller, "parent reseller")
        if expected_version is not None and child.version != expected_version:
            raise PreconditionFailed(
                f"the reseller is at version {child.version}, not {expected_version}",
                field="If-Match",
            )
        terms = {
            "commission_percent": child.commission_percent,
            "customer_limit": child.customer_limit,
            "allowed_services": child.allowed_services,
            "inherited_branding": child.inherited_branding,
        }
        wanted = terms | changes
        if wanted != terms:
            children = [load(store, reseller_id(n), Reseller, "reseller") for n in child.children]
            conflict = child.reconfiguration_conflict(
                wanted["customer_limit"],
                wanted["commission_percent"],
                wanted["allowed_services"],
                children,
            )
            if conflict:
                field, reason = conflict
                raise Conflict(reason, field=field)
            child.set_terms(
                parent,
                wanted["commission_percent"],
                wanted["customer_limit"],
                None if wanted["allowed_services"] is None else list(wanted["allowed_services"]),
                bool(wanted["inherited_branding"]),
            )
        return Outcome([child], stored_reseller_view(store, child), child.root_number, child.number)

    return run_command(
        store,
        context,
        handle,
        fingerprint(
            "reconfigure_sub_reseller",
            child_number,
            expected_version,
            {k: str(v) if isinstance(v, Decimal) else v for k, v in sorted(changes.items())},
        ),
    )
