"""Fixtures of the hostile-input suite: a private folder per case, the working directory while it runs."""

import pytest

from tests.hostile.harness import fresh_box


@pytest.fixture
def box():
    with fresh_box() as b:
        yield b
