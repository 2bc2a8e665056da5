"""The README names the projections once, exactly those of `projections/registry.py`."""

import re
from pathlib import Path

from projections.registry import PROJECTORS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_projection_once() -> None:
    text = " ".join(README.read_text().split())
    lists = re.findall(r"projections \(`projections/registry\.py`[^)]*\) are (.*?) \(", text)
    assert len(lists) == 1, "the README should list the projections in one place"
    named = re.findall(r"`([a-z_]+)`", lists[0])
    assert named == list(PROJECTORS), (
        f"README.md (Operations) lists {named}; projections/registry.py has {list(PROJECTORS)}"
    )
