"""Which resellers a consolidated commission report covers (seed §11.1 "consolidated
reporting"): the addressed reseller and every descendant the caller may see."""

from __future__ import annotations

from commands.principal import RequestContext
from commands.runner import Store
from commands.store_access import load
from domain.access.roles import Permission
from domain.partners.reseller import Reseller, reseller_id

MAX_SUBTREE = 10_000


def report_subtree(store: Store, context: RequestContext, reseller_number: int | None) -> list[int]:
    """The reseller and its descendants, breadth first, leaving out any the caller may not see
    (a reseller's own staff see descendants only when they manage sub-resellers)."""
    number = context.principal.reseller_in_scope(reseller_number)
    context.principal.require(Permission.BILLING_VIEW)
    found = [number]
    queue = list(load(store, reseller_id(number), Reseller, "reseller").children)
    while queue and len(found) < MAX_SUBTREE:
        child = queue.pop(0)
        if child in found or not context.principal.sees_reseller(child):
            continue
        found.append(child)
        queue.extend(load(store, reseller_id(child), Reseller, "reseller").children)
    return found
