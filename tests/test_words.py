"""How messages and titles write counts and lists (actinit_cli/words.py)."""

import pytest

from actinit_cli.words import counted, listed


@pytest.mark.parametrize("n, noun, plural, want", [(1, "check", None, "1 check"), (2, "check", None, "2 checks"),
                                                   (0, "point", None, "0 points"), (3, "try", "tries", "3 tries")])
def test_counted(n, noun, plural, want):
    assert counted(n, noun, plural) == want


@pytest.mark.parametrize("items, want", [([], ""), (["dead"], "dead"), (["saturated", "dead"], "saturated and dead"),
                                         (["saturated", "dead", "zero"], "saturated, dead and zero")])
def test_listed(items, want):
    assert listed(items) == want
