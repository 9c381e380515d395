"""Arithmetic of the network's depth in a spec value, e.g. the residual multiplier `alpha: 1/sqrt(depth)`.

Parsed with `ast`, never evaluated by Python: the tree may hold only numbers, the name `depth`, the
operators + - * / ** (and unary + -) and calls of `sqrt`; anything else (other names, attributes,
subscripts, other calls, comparisons) is refused before anything runs. The result must be a finite
positive number.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import as_float, shown

MAX_TEXT = 200  # an expression is a few symbols; a page of text is a mistake
BINARY: dict[type, Callable[[float, float], float]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                                       ast.Mult: operator.mul, ast.Div: operator.truediv,
                                                       ast.Pow: operator.pow}
UNARY: dict[type, Callable[[float], float]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
FUNCTIONS: dict[str, Callable[[float], float]] = {"sqrt": math.sqrt}
NAMES = ("depth",)
ALLOWED = "numbers, depth, + - * / ** and sqrt(...)"


def parse(text: str, where: str) -> ast.expr:
    """The checked tree of `text`, or ActinitError naming what is not allowed."""
    if len(text) > MAX_TEXT:
        raise ActinitError(f"{where}: an expression of {len(text)} characters; at most {MAX_TEXT}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        raise ActinitError(f"{where}: {shown(text)} is not an expression; use {ALLOWED}, e.g. 1/sqrt(depth)") from None
    _check(tree, where)
    return tree


def _check(node: ast.AST, where: str) -> None:
    """Refuse every node but numbers, `depth`, the allowed operators and sqrt(one argument), recursively."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ActinitError(f"{where}: {shown(node.value)} is not a number; allowed: {ALLOWED}")
    elif isinstance(node, ast.Name):
        if node.id not in NAMES:
            raise ActinitError(f"{where}: unknown name {node.id!r}; allowed: {ALLOWED}")
    elif isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        _check(node.operand, where)
    elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        _check(node.left, where)
        _check(node.right, where)
    elif isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS and len(node.args) == 1
                and not node.keywords):
            raise ActinitError(f"{where}: only sqrt(x) may be called; allowed: {ALLOWED}")
        _check(node.args[0], where)
    else:
        what = type(getattr(node, "op", node)).__name__
        raise ActinitError(f"{where}: {what} is not allowed in an expression; allowed: {ALLOWED}")


def normalise(value: Any, where: str) -> float | str:
    """A spec value as the resolved spec keeps it: a number as a float; an expression without `depth` as its
    value; one with `depth` as canonical text (`1 / sqrt(depth)`), so two spellings compare equal."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ActinitError(f"{where}: expected a number or an expression of depth such as 1/sqrt(depth), "
                           f"got {shown(value)}")
    if not isinstance(value, str):
        return _positive(as_float(value, where), where)
    tree = parse(value, where)
    if not any(isinstance(n, ast.Name) and n.id in NAMES for n in ast.walk(tree)):
        return _positive(_value(tree, 1, where), where)
    return ast.unparse(tree)  # evaluated once the depth is known (`evaluate`)


def evaluate(value: float | str, depth: int, where: str) -> float:
    """The value of a normalised spec value at `depth`: finite and positive, or ActinitError."""
    if not isinstance(value, str):
        return _positive(float(value), where)
    return _positive(_value(parse(value, where), depth, where), where)


def _value(tree: ast.expr, depth: int, where: str) -> float:
    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(depth)
        if isinstance(node, ast.UnaryOp):
            return UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](walk(node.args[0]))  # type: ignore[attr-defined]
        return BINARY[type(node.op)](walk(node.left), walk(node.right))  # type: ignore[attr-defined]

    try:
        out = walk(tree)
    except ZeroDivisionError:
        raise ActinitError(f"{where}: divides by zero at depth {depth}") from None
    except (ValueError, OverflowError, TypeError):  # sqrt of a negative, 10**400, a complex power
        raise ActinitError(f"{where}: has no real finite value at depth {depth}") from None
    if isinstance(out, complex) or not math.isfinite(out):
        raise ActinitError(f"{where}: has no real finite value at depth {depth}")
    return out


def _positive(value: float, where: str) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ActinitError(f"{where}: must be a finite number > 0, got {shown(value)}")
    return value
