"""Shared test set-up: a fixed terminal width and the non-interactive Agg backend, before anything imports them."""

import os

os.environ["COLUMNS"] = "120"
os.environ["LINES"] = "50"
os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("NO_COLOR", "1")

import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402


@pytest.fixture
def cli():
    """Run `actinit ARGS...` in-process; returns click's Result (exit_code, stdout, stderr)."""
    from actinit_cli.cli import app

    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(app, [str(a) for a in args], **kwargs)

    return invoke
