"""Creating resellers (master ISP only): number, code claim, reseller and credit account at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate
from pydantic import Field

from commands.errors import Conflict
from commands.models import Amount, CommandModel, Currency, money
from commands.principal import RequestContext
from commands.runner import CommandResult, Outcome, Store, fingerprint, run_command
from commands.store_access import exists, load
from domain.access import Permission
from domain.credit_account import CreditAccount
from domain.reseller import Reseller, ResellerCode, ResellerRegistry, normalise_code, reseller_id


class CreateReseller(CommandModel):
    reseller_code: str = Field(min_length=2, max_length=32, examples=["ABC_ISP"])
    name: str = Field(min_length=1, max_length=200, examples=["ABC Internet Services"])
    country: str = Field(min_length=2, max_length=2, examples=["NG"])
    currency: Currency
    parent_reseller_id: int | None = Field(default=None, ge=1)
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
    }


def _registry(store: Store) -> ResellerRegistry:
    registry_id = ResellerRegistry.create_id()
    if exists(store, registry_id):
        return load(store, registry_id, ResellerRegistry, "registry")
    return ResellerRegistry()


def create_reseller(
    store: Store, context: RequestContext, command: CreateReseller
) -> CommandResult:
    context.principal.require(Permission.RESELLER_MANAGE)
    limit = money(command.credit_limit, command.currency, field="credit_limit")

    def handle() -> Outcome:
        code = normalise_code(command.reseller_code)
        if exists(store, ResellerCode.create_id(code)):
            raise Conflict(f"reseller_code {code} is taken", field="reseller_code")
        parent = None
        if command.parent_reseller_id is not None:
            parent = load(
                store, reseller_id(command.parent_reseller_id), Reseller, "parent reseller"
            )
        registry = _registry(store)
        number = registry.allocate_number()
        reseller = Reseller.register(
            number=number,
            code=code,
            name=command.name,
            country=command.country,
            currency=command.currency,
            parent=parent,
        )
        claim = ResellerCode(code=code, reseller_number=number)
        account = CreditAccount.open(number, reseller.root_number, limit)
        body = reseller_view(reseller) | {"credit_limit": str(limit.amount)}
        changed: list[Aggregate] = [registry, claim, reseller, account]
        if parent is not None:
            parent.add_child(number)
            changed.append(parent)
        return Outcome(changed, body, reseller.root_number, number, 201)

    return run_command(
        store, context, handle, fingerprint("create_reseller", command.model_dump(mode="json"))
    )


def tenant_of(store: Store, reseller_number: int) -> int:
    """The tenant (root reseller) a reseller belongs to."""
    return load(store, reseller_id(reseller_number), Reseller, "reseller").root_number


def get_reseller(store: Store, context: RequestContext, reseller_number: int) -> dict[str, Any]:
    number = context.principal.reseller_in_scope(reseller_number)
    return reseller_view(load(store, reseller_id(number), Reseller, "reseller"))
