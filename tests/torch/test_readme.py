"""The README's table of modules.csv's identity columns is torch/rows.py's IDENTITY table."""

import re

from actinit_cli.torch import rows
from tests.cases import REPO


def test_module_column_table_is_generated_from_the_identity_table():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- module columns:[^\n]*-->\n(.*?)\n<!-- /module columns -->", readme, re.S)
    assert block, "README.md lost its <!-- module columns --> block"
    assert block.group(1) == rows.markdown(), "paste actinit_cli.torch.rows.markdown() between the markers"
