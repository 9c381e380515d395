"""The README says what the code does: its column and exit-code tables are the code's tables, and it names
every command."""

import re

import pytest

from actinit_cli import errors
from actinit_cli.nn import columns
from tests.cases import REPO

README = (REPO / "README.md").read_text()


@pytest.mark.parametrize("marker, markdown, source", [
    ("columns", columns.markdown, "nn/columns.py"),
    ("exit codes", errors.exit_codes_markdown, "errors.py's EXIT_CODES"),
])
def test_generated_tables_equal_their_source(marker, markdown, source):
    block = re.search(rf"<!-- {marker}:[^\n]*-->\n(.*?)\n<!-- /{marker} -->", README, re.S)
    assert block, f"README.md lost its <!-- {marker} --> block"
    assert block.group(1) == markdown(), (
        f"README's {marker} table differs from {source}; paste {markdown.__name__}() between the markers")


def test_every_command_is_documented():
    from actinit_cli.cli import app

    for command in app.registered_commands:
        assert f"actinit {command.name}" in README, command.name


def test_every_run_level_quantity_is_documented():
    from actinit_cli.nn import scalars

    text = (REPO / "README.md").read_text()
    missing = [name for name in scalars.NAMES if f"`{name}`" not in text]
    assert not missing, f"README's Variance gates section does not name {missing}"
