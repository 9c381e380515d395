"""Fixtures of the hostile-input suite: a private folder per case (the working directory while it runs), and
the app's click command built once for the whole suite (typer rebuilds it on every invoke, 80 % of the
cost of a case; the command object is the same one either way)."""

import functools

import pytest
import typer.testing

from tests.hostile.harness import fresh_box


@pytest.fixture(scope="package", autouse=True)
def command_built_once():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typer.testing, "_get_command", functools.lru_cache(maxsize=4)(typer.testing._get_command))
        yield


@pytest.fixture
def box():
    with fresh_box() as b:
        yield b
