"""Advisory-lock keys live in one module, keep the values deployments hold, and never collide."""

from projections import locks
from projections.base import Projector


def test_every_fixed_key_is_distinct_and_keeps_its_value() -> None:
    assert locks.FIXED_KEYS == {
        "SCHEMA_LOCK_KEY": 0x1ED6E4_0000,
        "RELAY_LOCK_KEY": 0x1ED6E4_0001,
        "RELAY_TABLES_LOCK_KEY": 0x1ED6E4_0002,
        "PRIVACY_LOCK_KEY": 0x1ED6E4_0010,
        "CHAIN_LOCK_KEY": 0x1ED6E4_00C0,
        "CHAIN_TABLES_LOCK_KEY": 0x1ED6E4_00C1,
        "AUTH_TABLES_LOCK_KEY": 7305001,
        "REPORT_FILES_TABLES_LOCK_KEY": 7305002,
        "BI_LOCK_KEY": locks.BI_LOCK_KEY,
    }
    assert len(set(locks.FIXED_KEYS.values())) == len(locks.FIXED_KEYS)


def test_projector_keys_are_distinct_from_each_other_and_the_fixed_keys() -> None:
    from projections.registry import PROJECTORS

    keys = [locks.projector_lock_key(p.name) for p in PROJECTORS.values()]
    assert len(set(keys)) == len(keys)
    assert not set(keys) & set(locks.FIXED_KEYS.values())
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert all(issubclass(p, Projector) for p in PROJECTORS.values())
