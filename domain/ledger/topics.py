"""Stored topics of moved classes: events and snapshots name their class as `module:Class`.

The layout of issue 12 moved the domain's modules into one package per context. Events stored
before the move still name the old modules, so every class of a moved module is registered
under its old topic as well (the eventsourcing library's `register_topic`). Never remove an
entry: the events that need it are in the log for ever.
"""

from __future__ import annotations

import importlib
import inspect

from eventsourcing.utils import get_topic, register_topic

# old module -> the modules its classes live in now (more than one where a module was split)
MOVED_MODULES: dict[str, tuple[str, ...]] = {
    "domain.money": ("domain.ledger.money",),
    "domain.journal": ("domain.ledger.journal",),
    "domain.tax": ("domain.ledger.tax",),
    "domain.fx": ("domain.ledger.fx",),
    "domain.ids": ("domain.ledger.ids",),
    "domain.errors": ("domain.ledger.errors",),
    "domain.idempotency": ("domain.ledger.idempotency",),
    "domain.personal": ("domain.ledger.personal",),
    "domain.reseller": ("domain.partners.reseller",),
    "domain.access": ("domain.access.roles",),
    "domain.users": ("domain.access.users",),
    "domain.auth_policy": ("domain.access.auth_policy",),
    "domain.customer": ("domain.customers.customer",),
    "domain.catalogue": ("domain.catalogue.tariffs",),
    "domain.pricing": ("domain.catalogue.pricing",),
    "domain.price_list": ("domain.catalogue.price_list",),
    "domain.customer_account": ("domain.billing.customer_account",),
    "domain.credit_account": ("domain.credit.credit_account",),
    "domain.commissions": ("domain.commissions.records",),
    "domain.commission_plans": ("domain.commissions.plans",),
    "domain.payment_commissions": ("domain.commissions.payment_commissions",),
    "domain.disputes": ("domain.commissions.disputes",),
    "domain.payouts": ("domain.commissions.payouts",),
    "domain.statements": ("domain.commissions.statements",),
    "domain.report_schedule": ("domain.reporting.schedule",),
}


def register_moved_topics() -> None:
    """Make every old `module:Class` topic resolve to the class where it lives now.

    Classes are registered one by one, not the old module as a whole: some old module names
    (`domain.commissions`) are now package names, and a module-wide alias would capture the
    new topics under that package."""
    for old, new_modules in MOVED_MODULES.items():
        for new in new_modules:
            module = importlib.import_module(new)
            for name, obj in vars(module).items():
                if inspect.isclass(obj) and obj.__module__ == new:
                    register_topic(f"{old}:{name}", obj)


def topics_of(cls: type) -> tuple[str, ...]:
    """Every topic events of `cls` are stored under: the current one, and the old one if its
    module moved (for filtered reads of the log, which compare topics as strings)."""
    topic = get_topic(cls)
    module, _, qualname = topic.partition(":")
    old = [o for o, n in MOVED_MODULES.items() if module in n]
    return (topic, *(f"{o}:{qualname}" for o in old))
