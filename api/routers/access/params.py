"""Query parameters shared by the access routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

ResellerFilter = Annotated[int | None, Query(ge=1)]
"""`reseller_id`: a reseller in the caller's reach (its own when omitted)."""
