"""Query parameters shared by the commissions routers (and billing's period reports)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query

from commands.commissions import periods as commission_periods
from commands.errors import Unprocessable

ResellerFilter = Annotated[int | None, Query(ge=1)]
"""`reseller_id`: a reseller in the caller's reach (its own when omitted)."""
Wait = Annotated[int | None, Query(ge=0, description="Wait until this position is projected")]


def period_bounds(
    period: str | None, period_start: date | None, period_end: date | None
) -> tuple[date | None, date | None]:
    """`period=YYYY-MM`, or `period_start`/`period_end`; not both."""
    if period is not None:
        if period_start is not None or period_end is not None:
            raise Unprocessable("give either period or period_start/period_end", field="period")
        return commission_periods.parse_period(period)
    if period_start is not None and period_end is not None and period_end < period_start:
        raise Unprocessable("period_end is before period_start", field="period_end")
    return period_start, period_end
