"""Depth expressions in a spec (model.block.alpha): values against Python's own arithmetic, canonical text,
and every construct outside the grammar refused with a message naming the field, never evaluated."""

import math

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run import expression

VALUES = [  # (text, depth, value by Python)
    ("1/sqrt(depth)", 64, 1 / math.sqrt(64)),
    ("depth**-0.5", 50, 50**-0.5),
    ("0.5", 7, 0.5),
    ("2 * (1 + 1/depth)", 4, 2 * (1 + 1 / 4)),
    ("sqrt(2/depth) - 0.01", 10, math.sqrt(2 / 10) - 0.01),
    ("+depth / --3", 6, 2.0),
    ("1e-2", 3, 0.01),
]


@pytest.mark.parametrize("text, depth, value", VALUES)
def test_value(text, depth, value):
    assert expression.evaluate(expression.normalise(text, "a"), depth, "a") == pytest.approx(value, rel=1e-15)


def test_spellings_of_one_expression_normalise_alike():
    assert expression.normalise("1/sqrt( depth )", "a") == expression.normalise("1 / sqrt(depth)", "a")
    assert expression.normalise("2**-1", "a") == expression.normalise(0.5, "a") == 0.5


REFUSED = [
    ("__import__('os').system('true')", r"only sqrt"),
    ("open('x')", r"only sqrt"),
    ("depth.real", r"Attribute"),
    ("depth[0]", r"Subscript"),
    ("[1]", r"List"),
    ("lambda: 1", r"Lambda"),
    ("1 if depth else 2", r"IfExp"),
    ("depth < 2", r"Compare"),
    ("depth and 1", r"And is not allowed"),
    ("depth % 3", r"Mod"),
    ("depth // 3", r"FloorDiv"),
    ("~depth", r"Invert"),
    ("x", r"unknown name 'x'"),
    ("sqrt", r"unknown name 'sqrt'"),
    ("sqrt(1, 2)", r"only sqrt"),
    ("sqrt(x=1)", r"only sqrt"),
    ("'1'", r"not a number"),
    ("True", r"not a number"),
    ("1j", r"not a number"),
    ("", r"not an expression"),
    ("1 +", r"not an expression"),
    ("x" * 300, r"at most 200"),
    ("-1", r"> 0"),
    ("0", r"> 0"),
    ("1/0", r"divides by zero"),
    ("sqrt(-1)", r"no real finite value"),
    ("10.0**400", r"no real finite value"),
    ("(-8)**0.5", r"no real finite value"),
]


@pytest.mark.parametrize("text, match", REFUSED)
def test_refused(text, match):
    with pytest.raises(ActinitError, match=r"^model\.block\.alpha: .*" + match):
        expression.evaluate(expression.normalise(text, "model.block.alpha"), 4, "model.block.alpha")


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}, math.nan, math.inf, -2.0])
def test_non_numbers_refused(value):
    with pytest.raises(ActinitError, match=r"^f: "):
        expression.normalise(value, "f")


def test_depth_is_known_only_when_evaluated():
    """1/(depth - 1) is fine at depth 5, and refused (naming the depth) at depth 1."""
    text = expression.normalise("1/(depth - 1)", "a")
    assert expression.evaluate(text, 5, "a") == 0.25
    with pytest.raises(ActinitError, match="divides by zero at depth 1"):
        expression.evaluate(text, 1, "a")
