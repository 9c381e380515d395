"""The README says what the code does: its column table is the Column table, and it names every command."""

import re

from actinit_cli.nn import columns
from tests.cases import REPO

README = (REPO / "README.md").read_text()


def test_column_table_is_generated_from_the_column_table():
    block = re.search(r"<!-- columns:[^\n]*-->\n(.*?)\n<!-- /columns -->", README, re.S)
    assert block, "README.md lost its <!-- columns --> block"
    assert block.group(1) == columns.markdown(), (
        "README's layers.csv table differs from nn/columns.py; paste columns.markdown() between the markers")


def test_every_command_is_documented():
    from actinit_cli.cli import app

    for command in app.registered_commands:
        assert f"actinit {command.name}" in README, command.name


def test_every_run_level_quantity_is_documented():
    from actinit_cli.nn import scalars

    text = (REPO / "README.md").read_text()
    missing = [name for name in scalars.NAMES if f"`{name}`" not in text]
    assert not missing, f"README's Variance gates section does not name {missing}"
