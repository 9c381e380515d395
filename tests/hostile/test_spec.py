"""Bad specs through every command that reads one (run, check, sweep): wrong types and ranges for every field
of the spec's field table (so a new field is tested for free), wrong structure and broken cross-field rules.
Each must exit 2 with one line naming the field, and write nothing."""

from __future__ import annotations

import math
import re

import pytest

from actinit_cli.run.fields import FIELDS
from tests.hostile.commands import SPEC_COMMANDS, invoke_spec
from tests.hostile.harness import at, ids, refused

WRONG_TYPES = {
    "int": [("text", "three"), ("fraction", 2.5), ("bool", True), ("list", [1]), ("mapping", {"a": 1}),
            ("nan", math.nan)],
    "number": [("text", "x"), ("bool", False), ("list", [1.0]), ("mapping", {}), ("nan", math.nan),
               ("inf", math.inf), ("-inf", -math.inf)],
    "string": [("int", 3), ("bool", True), ("list", ["a"]), ("mapping", {"a": "b"})],
    "widths": [("zero", 0), ("negative", -3), ("empty list", []), ("zero in list", [4, 0]),
               ("text in list", [4, "x"]), ("text", "wide"), ("fraction", 2.5), ("bool", True),
               ("bool in list", [True, 4]), ("one width too many", [4, 4, 4]), ("mapping", {"a": 1})],
    "activation": [("int", 3), ("bool", True), ("list", ["relu"]), ("empty mapping", {}), ("name not text", {"name": 3}),
                   ("misspelt", "relux"), ("unknown parameter", {"name": "relu", "slope": 1}),
                   ("null name", {"name": None})],
    "initializer": [("int", 3), ("bool", True), ("list", []), ("empty mapping", {}), ("misspelt", "he_normall"),
                    ("parameter of another entry", {"name": "he_normal", "scale": 2}), ("name list", {"name": ["a"]})],
}


def field_cases() -> list[tuple]:
    """(id, path, value) for every field: wrong types, nulls where not allowed, just outside each limit, and a
    string outside the choices."""
    cases = []
    for path, f in FIELDS.items():
        bad = list(WRONG_TYPES[f.kind])
        if not f.nullable:
            bad.append(("null", None))
        if f.kind in ("int", "number", "widths") and f.minimum is not None:
            bad.append(("below minimum", f.minimum - 1 if f.kind == "number" else int(f.minimum) - 1))
        if f.kind in ("int", "widths") and f.maximum is not None:
            bad.append(("above maximum", int(f.maximum) + 1))
        if f.choices:
            bad.append(("not a choice", f.choices[0] + "x"))
        cases += [(f"{path}={label}", path, value) for label, value in bad]
    return cases


FIELD_CASES = field_cases()


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("case, path, value", FIELD_CASES, ids=ids(FIELD_CASES))
def test_bad_field_value(cli, box, command, case, path, value):
    r = invoke_spec(cli, box, command, at(path, value))
    refused(r, box, re.escape(path))


STRUCTURE = [
    ("spec is a list", [1, 2], r"a spec is a YAML mapping"),
    ("spec is a number", 42, r"a spec is a YAML mapping"),
    ("spec is a string", "hello", r"a spec is a YAML mapping"),
    ("model is a number", {"model": 3}, r"model: expected a mapping"),
    ("model is a list", {"model": [1]}, r"model: expected a mapping"),
    ("data is text", {"data": "x"}, r"data: expected a mapping"),
    ("data.input is a number", {"data": {"input": 5}}, r"data\.input: expected a mapping"),
    ("misspelt section", {"modle": {"depth": 2}}, r"did you mean 'model'"),
    ("misspelt field", {"model": {"depht": 2}}, r"did you mean 'depth'"),
    ("misspelt input field", {"data": {"input": {"stdd": 1}}}, r"data\.input\.stdd"),
    ("dotted path as a key", {"model.depth": 3}, r"unknown key"),
    ("integer key", {1: 2}, r"unknown key"),
    ("null key", {None: 2}, r"unknown key"),
    ("boolean key (YAML on)", {True: 3}, r"unknown key"),
    ("field under the wrong section", {"data": {"depth": 3}}, r"data\.depth"),
    ("one width too few", {"model": {"depth": 3, "width": [4, 4]}}, r"model\.width.*one width per hidden layer"),
    ("softmax hidden", {"model": {"activation": "softmax"}}, r"model\.activation.*output layers only"),
    ("cross_entropy without softmax", {"loss": "cross_entropy", "model": {"output_activation": "relu"}},
     r"model\.output_activation.*softmax"),
    ("binary_cross_entropy with softmax", {"loss": "binary_cross_entropy", "model": {"output_activation": "softmax"}},
     r"model\.output_activation.*sigmoid"),
    ("cross_entropy with one class", {"loss": "cross_entropy", "model": {"output_dim": 1}}, r"model\.output_dim"),
    ("arrays beyond memory", {"model": {"depth": 1000, "width": 100000}, "data": {"batch_size": 100000}}, r"GiB"),
    ("batches beyond memory", {"model": {"depth": 10_000, "width": 1_000_000}}, r"GiB"),
    ("name with a slash", {"name": "a/b"}, r"name"),
    ("name starting with a dot", {"name": ".hidden"}, r"name"),
    ("name ..", {"name": ".."}, r"name"),
    ("empty name", {"name": ""}, r"name"),
    ("name of spaces", {"name": "a b"}, r"name"),
    ("name with a newline", {"name": "a\nb"}, r"name"),
    ("name with a NUL", {"name": "a\x00b"}, r"name"),
    ("name of 300 characters", {"name": "n" * 300}, r"name"),
]


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("case, change, match", STRUCTURE, ids=ids(STRUCTURE))
def test_bad_structure(cli, box, command, case, change, match):
    r = invoke_spec(cli, box, command, change)
    refused(r, box, match)
