"""Loading a reseller's team policy (security settings, custom roles) for the access use cases."""

from __future__ import annotations

from commands.runner import Store
from commands.store_access import load_or_carried_over
from domain.access.team_policy import TeamPolicy, team_policy_id
from domain.partners.reseller import Reseller


def load_team_policy(store: Store, reseller: Reseller) -> TeamPolicy:
    """The reseller's stored policy, else the one its legacy events left (unsaved)."""
    return load_or_carried_over(
        store,
        team_policy_id(reseller.number),
        TeamPolicy,
        lambda: TeamPolicy.carried_over(reseller),
    )
