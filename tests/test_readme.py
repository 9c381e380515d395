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


def code_map_rows() -> dict[str, str]:
    """README's code map: each table row's first cell (the files or folder) -> the whole row."""
    section = README.split("\n## Code map\n", 1)[1].split("\nWhere to add things", 1)[0]
    return {line.split("|")[1]: line for line in section.splitlines() if line.startswith("| `")}


MODULES = sorted(p.relative_to(REPO / "actinit_cli") for p in (REPO / "actinit_cli").rglob("*.py")
                 if p.name != "__init__.py")


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_code_map_names_every_module(module):
    """A top-level module is named in a row's first cell; a sub-package's module in its folder's row."""
    folder, name = (f"`{module}`", f"`{module}`") if len(module.parts) == 1 else (f"`{module.parts[0]}/`",
                                                                                  f"`{module.stem}`")
    rows = [row for first, row in code_map_rows().items() if folder in first]
    assert rows and name in rows[0], f"README's code map does not name {module}"
