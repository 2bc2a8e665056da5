"""Shared field types for command models: exact amounts, currencies, dates, instants, texts.

The API's input rules live here, once, for every model (the README's "Input rules"):
- text never holds NUL or an unpaired surrogate (PostgreSQL and UTF-8 cannot store them);
- money and rates are plain decimal strings, `^-?[0-9]+(\\.[0-9]+)?$` (a JSON number is also
  taken, exactly); the minus only where the field allows negatives;
- dates are `YYYY-MM-DD` between 2000-01-01 and 2099-12-31;
- instants carry a UTC offset (`Z` or `+01:00`) and lie in the same range;
- numbers, booleans and dates are strict: no `false` for a count, no number for a date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from commands.errors import Unprocessable
from domain.ledger.calendar import EARLIEST_BUSINESS_DATE, LATEST_BUSINESS_DATE
from domain.ledger.money import MINOR_UNITS, Money, MoneyError

_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
NON_NEGATIVE_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
_DECIMAL = re.compile(DECIMAL_PATTERN)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INSTANT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
)
DATE_MIN = EARLIEST_BUSINESS_DATE
DATE_MAX = LATEST_BUSINESS_DATE
DATE_RANGE = f"between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}"


def refuse_unsafe_text(value: Any) -> Any:
    """Raise if a string (or any string inside a list, tuple or dict) cannot be stored."""
    if isinstance(value, str):
        found = _UNSAFE_TEXT.search(value)
        if found is not None:
            what = "the NUL character" if found.group() == "\x00" else "an unpaired surrogate"
            raise ValueError(f"must not contain {what}")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            refuse_unsafe_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_unsafe_text(key)
            refuse_unsafe_text(item)
    return value


def _known_currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError(f"unknown currency {value!r}; use an ISO 4217 code such as USD")
    return value


def _plain_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError('must be a decimal string such as "123.45", not a boolean')
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise ValueError(
                'must be a plain decimal string such as "123.45": ASCII digits, at most one '
                "dot, an optional leading minus"
            )
        return Decimal(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise ValueError('must be a decimal string such as "123.45"')
    return value


def _decimal_schema(schema: dict[str, Any]) -> None:
    """The document states the format: the string branch carries the pattern (no minus
    where the number branch has a non-negative minimum)."""
    branches = schema.get("anyOf", [])
    floor = next(
        (
            b.get("minimum", b.get("exclusiveMinimum"))
            for b in branches
            if b.get("type") == "number"
        ),
        None,
    )
    for branch in branches:
        if branch.get("type") == "string":
            branch["format"] = "decimal"
            branch["pattern"] = (
                NON_NEGATIVE_PATTERN if floor is not None and floor >= 0 else DECIMAL_PATTERN
            )
    schema.pop("max_digits", None)


PlainDecimal = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    Field(allow_inf_nan=False, json_schema_extra=_decimal_schema),
]
"""A decimal written plainly ("123.45"), or a JSON number taken exactly."""
Amount = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    Field(allow_inf_nan=False, max_digits=18, json_schema_extra=_decimal_schema),
]
Currency = Annotated[
    str, Field(min_length=3, max_length=3, examples=["USD"]), AfterValidator(_known_currency)
]


def _api_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not an instant")
    if isinstance(value, str):
        if not _DATE.match(value):
            raise ValueError("must be a date written YYYY-MM-DD")
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a calendar date") from None
    if not isinstance(value, date):
        raise ValueError("must be a date written YYYY-MM-DD")
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(f"must be {DATE_RANGE}")
    return value


def _aware_instant(value: Any) -> Any:
    if isinstance(value, str):
        if not _INSTANT.match(value):
            raise ValueError(
                "must be an ISO 8601 instant with a UTC offset, e.g. 2027-01-01T00:00:00Z"
            )
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a valid instant") from None
    if not isinstance(value, datetime):
        raise ValueError("must be an ISO 8601 instant with a UTC offset, e.g. 2027-01-01T00:00:00Z")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2027-01-01T00:00:00Z or +01:00")
    if not DATE_MIN <= value.astimezone(UTC).date() <= DATE_MAX:
        raise ValueError(f"must be {DATE_RANGE}")
    return value


ApiDate = Annotated[date, BeforeValidator(_api_date), Field(strict=False)]
"""A business date in the API's range (2000-01-01 .. 2099-12-31), written YYYY-MM-DD."""
AwareDatetime = Annotated[datetime, BeforeValidator(_aware_instant), Field(strict=False)]
"""An instant with a UTC offset, in the same range; a naive one is refused."""


LaxUUID = Annotated[UUID, Field(strict=False)]
"""An id written as a JSON string (strict mode alone would want a UUID object)."""
ClockTime = Annotated[time, Field(strict=False)]
"""A time of day written HH:MM[:SS]."""


UploadFilename = Annotated[
    str,
    # Plain ASCII names only: a file's name goes back out in a Content-Disposition header.
    Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._()+,-]*$"),
]
MediaType = Annotated[str, Field(max_length=100, pattern=r"^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+$")]


class CommandModel(BaseModel):
    """Unknown fields are refused, so nothing like `status` or `role` rides in unnoticed.
    Strict: `false` is not a count, `1` is not a flag, `"5"` is not a number."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # FastAPI validates bodies with from_attributes: a JSON number (a Decimal here) would
        # otherwise pass as a model whose fields are all optional.
        if isinstance(data, dict | cls):
            return data
        raise ValueError("must be a JSON object")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return refuse_unsafe_text(value)


def money(amount: Decimal, currency: str, field: str = "amount") -> Money:
    try:
        return Money.of(amount, currency)
    except MoneyError as error:
        raise Unprocessable(str(error), field=field) from None
