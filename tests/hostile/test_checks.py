"""Bad `checks:` sections through `actinit check` and `actinit run --check`: every one is caught when the spec
loads (exit 2, one line naming the check, nothing run or written); plus generated bounds with min > max and
unknown quantities."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actinit_cli.nn.columns import QUANTITIES
from tests.hostile.commands import check_args, run_check_args
from tests.hostile.harness import SMALL, fresh_box, generated, ids, merged, refused

COMMANDS = {"check": check_args, "run --check": run_check_args}

BAD = [
    ("checks is a mapping", {"quantity": "act_m2", "max": 1}, r"checks: expected a list"),
    ("checks is a number", 3, r"checks: expected a list"),
    ("checks is text", "act_m2 < 1", r"checks: expected a list"),
    ("a check is text", ["act_m2 < 1"], r"checks\[0\]"),
    ("a check is a list", [["act_m2", 1]], r"checks\[0\]"),
    ("a check is null", [None], r"checks\[0\]"),
    ("unknown quantity", [{"quantity": "act_m3", "max": 1}], r"checks\[0\]\.quantity.*did you mean 'act_m2'"),
    ("no quantity", [{"max": 1}], r"checks\[0\]\.quantity"),
    ("quantity is a number", [{"quantity": 3, "max": 1}], r"checks\[0\]\.quantity"),
    ("layer is not a quantity", [{"quantity": "layer", "max": 1}], r"checks\[0\]\.quantity"),
    ("theory column as a quantity", [{"quantity": "pred_act_m2", "max": 1}], r"checks\[0\]\.quantity"),
    ("unknown key", [{"quantity": "act_m2", "max": 1, "maximum": 2}], r"checks\[0\]\.maximum"),
    ("no bounds", [{"quantity": "act_m2"}], r"checks\[0\].*give min, max"),
    ("min > max", [{"quantity": "act_m2", "min": 3, "max": 1}], r"checks\[0\].*swap them"),
    ("min is text", [{"quantity": "act_m2", "min": "low"}], r"checks\[0\]\.min"),
    ("max is a boolean", [{"quantity": "act_m2", "max": True}], r"checks\[0\]\.max"),
    ("max is nan", [{"quantity": "act_m2", "max": math.nan}], r"checks\[0\]\.max"),
    ("min is -inf", [{"quantity": "act_m2", "min": -math.inf}], r"checks\[0\]\.min"),
    ("max is a list", [{"quantity": "act_m2", "max": [1]}], r"checks\[0\]\.max"),
    ("max beyond float range", [{"quantity": "act_m2", "max": 10**400}], r"checks\[0\]\.max"),
    ("relative_to unknown", [{"quantity": "act_m2", "relative_to": "middle", "max": 1}], r"checks\[0\]\.relative_to"),
    ("relative_to a layer number", [{"quantity": "act_m2", "relative_to": 3, "max": 1}], r"checks\[0\]\.relative_to"),
    ("relative_to on a fraction", [{"quantity": "dead_frac", "relative_to": "input", "max": 1}], r"makes no sense"),
    ("relative_to on a mean", [{"quantity": "act_mean", "relative_to": "output", "max": 1}], r"makes no sense"),
    ("relative_to input without an input value", [{"quantity": "preact_m2", "relative_to": "input", "max": 1}],
     r"checks\[0\]\.relative_to.*first_hidden"),
    ("slope with min", [{"quantity": "act_m2", "slope_log2": {"max": 1}, "min": 0}], r"not both"),
    ("slope with relative_to", [{"quantity": "act_m2", "slope_log2": {"max": 1}, "relative_to": "input"}],
     r"checks\[0\]\.relative_to"),
    ("slope of a fraction", [{"quantity": "dead_frac", "slope_log2": {"max": 1}}], r"checks\[0\]\.slope_log2"),
    ("slope is a number", [{"quantity": "act_m2", "slope_log2": 0.1}], r"checks\[0\]\.slope_log2"),
    ("slope with an unknown key", [{"quantity": "act_m2", "slope_log2": {"max": 1, "mid": 0}}],
     r"checks\[0\]\.slope_log2"),
    ("slope without bounds", [{"quantity": "act_m2", "slope_log2": {}}], r"checks\[0\]\.slope_log2"),
    ("slope min > max", [{"quantity": "act_m2", "slope_log2": {"min": 1, "max": -1}}], r"swap them"),
    ("slope over one layer", [{"quantity": "act_m2", "slope_log2": {"max": 1}, "layers": [1]}], r"checks\[0\]"),
    ("layers is an unknown word", [{"quantity": "act_m2", "max": 1, "layers": "some"}], r"checks\[0\]\.layers"),
    ("layers is an empty list", [{"quantity": "act_m2", "max": 1, "layers": []}], r"checks\[0\]\.layers"),
    ("negative layer", [{"quantity": "act_m2", "max": 1, "layers": [-1]}], r"checks\[0\]\.layers"),
    ("boolean layer", [{"quantity": "act_m2", "max": 1, "layers": [True]}], r"checks\[0\]\.layers"),
    ("fractional layer", [{"quantity": "act_m2", "max": 1, "layers": [1.5]}], r"checks\[0\]\.layers"),
    ("layer beyond the output", [{"quantity": "act_m2", "max": 1, "layers": [99]}], r"checks\[0\]"),
    ("range from > to", [{"quantity": "act_m2", "max": 1, "layers": {"from": 3, "to": 1}}], r"checks\[0\]\.layers"),
    ("range without to", [{"quantity": "act_m2", "max": 1, "layers": {"from": 1}}], r"checks\[0\]\.layers"),
    ("range beyond the output", [{"quantity": "act_m2", "max": 1, "layers": {"from": 1, "to": 50}}], r"checks\[0\]"),
    ("range to 10**21", [{"quantity": "act_m2", "max": 1, "layers": {"from": 1, "to": 10**21}}],
     r"checks\[0\]\.layers: layer 1000000000000000000000 does not exist \(the network has layers 0\.\.3\)"),
    ("range to 10**400", [{"quantity": "act_m2", "max": 1, "layers": {"from": 0, "to": 10**400}}],
     r"checks\[0\]\.layers: layer 1000.*does not exist"),
    ("range from and to 10**21", [{"quantity": "act_m2", "max": 1, "layers": {"from": 10**21, "to": 10**21}}],
     r"checks\[0\]\.layers: layer 1000000000000000000000 does not exist"),
    ("layer 10**21", [{"quantity": "act_m2", "max": 1, "layers": [1, 10**21]}],
     r"checks\[0\]\.layers: layer 1000000000000000000000 does not exist"),
    ("only the reference layer", [{"quantity": "act_m2", "relative_to": "input", "max": 1, "layers": [0]}],
     r"checks\[0\]"),
    ("only the output as reference", [{"quantity": "act_m2", "relative_to": "output", "max": 1,
                                       "layers": "output"}], r"checks\[0\]"),
    ("name is a number", [{"name": 3, "quantity": "act_m2", "max": 1}], r"checks\[0\]\.name"),
    ("two checks with one name", [{"name": "a", "quantity": "act_m2", "max": 1},
                                  {"name": "a", "quantity": "act_var", "max": 1}], r"checks\[1\]|'a'"),
    ("second check bad", [{"quantity": "act_m2", "max": 1}, {"quantity": "act_m2"}], r"checks\[1\]"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case, checks, match", BAD, ids=ids(BAD))
def test_bad_checks(cli, box, command, case, checks, match):
    path = box.file("spec.yaml", merged(SMALL, {"checks": checks}))
    box.seal()
    refused(cli(*COMMANDS[command](path, box)), box, match)


def check_refused(cli, checks: list, match: str) -> None:
    """`actinit check` on the small spec with these checks, in a fresh Box, is refused."""
    with fresh_box() as box:
        path = box.file("spec.yaml", merged(SMALL, {"checks": checks}))
        box.seal()
        refused(cli(*check_args(path, box)), box, match)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@generated(40)
@given(st.tuples(finite, finite).filter(lambda b: b[0] != b[1]), st.sampled_from(QUANTITIES), st.booleans())
def test_generated_min_above_max(cli, bounds, quantity, as_slope):
    lo, hi = sorted(bounds)
    bad = {"min": hi, "max": lo}
    check = {"quantity": quantity, "slope_log2": bad} if as_slope else {"quantity": quantity, **bad}
    check_refused(cli, [check], r"checks\[0\]")


YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}  # letters YAML reads as non-text


@generated(30)
@given(st.from_regex(r"[a-z][a-z0-9_]{0,19}", fullmatch=True).filter(lambda q: q not in set(QUANTITIES) | YAML_WORDS))
def test_generated_unknown_quantity(cli, quantity):
    check_refused(cli, [{"quantity": quantity, "max": 1}], r"checks\[0\]\.quantity: unknown quantity '" + re.escape(quantity))
