"""`ledger replay --help` and `ledger diff --help` name every projection they accept."""

import pytest
from typer.testing import CliRunner

from infra.cli import app
from projections.registry import PROJECTORS


@pytest.mark.parametrize("command", ["replay", "diff"])
def test_help_lists_every_projection_name(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    missing = [name for name in PROJECTORS if name not in result.output]
    assert not missing, result.output
