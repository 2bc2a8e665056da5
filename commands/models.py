"""Shared field types for command models: exact amounts, currencies, short texts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from commands.errors import Unprocessable
from domain.money import MINOR_UNITS, Money, MoneyError


def _known_currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError(f"unknown currency {value!r}; use an ISO 4217 code such as USD")
    return value


Amount = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=18)]
Currency = Annotated[
    str, Field(min_length=3, max_length=3, examples=["USD"]), AfterValidator(_known_currency)
]


class CommandModel(BaseModel):
    """Unknown fields are refused, so nothing like `status` or `role` rides in unnoticed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def money(amount: Decimal, currency: str, field: str = "amount") -> Money:
    try:
        return Money.of(amount, currency)
    except MoneyError as error:
        raise Unprocessable(str(error), field=field) from None
