"""Plain MLPs keep their numbers: tests/golden/plain_<name>.csv holds the layers.csv that actinit wrote at commit
0df3cf2, where issue 12 began (before per-layer overrides and networks of blocks existed), for the specs of
tests/golden/plain_specs.yaml. Every one of those columns must come out the same, theory included: integers
and empty cells as the same text, floats to the order in which they are summed, 1e-12 of their scale in
float64 and 1e-5 in float32 (a mean's scale is the root of its second moment). Since 0df3cf2 the summation
changed once (issue 11: column sums by NumPy's reduction instead of a BLAS product), which moved float32 cells
by up to 1.4e-5 of a mean near 0 and float64 cells in their last digit; beyond that they are bit for bit
those of that main. One column changed meaning since: pred_act_unit_var is the expected value of act_unit_var
at the spec's batch size, (batch - 1) / batch times the value kept here (tests/run/test_overlay.py). The
columns added since are checked elsewhere (empty here for the block columns)."""

import csv
import io
import math

import pytest
import yaml

from actinit_cli.nn.columns import INTEGER, NAMES
from actinit_cli.run import rundir, runner, spec
from tests.cases import REPO

GOLDEN = REPO / "tests" / "golden"
SPECS = yaml.safe_load((GOLDEN / "plain_specs.yaml").read_text())
MEAN_SCALE = {"preact_mean": "preact_m2", "act_mean": "act_m2"}


def table(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def same(before: dict, after: dict, key: str, tol: float, batch: int) -> bool:
    old, new = before[key], after[key]
    if key in INTEGER or old in ("", "nan", "inf", "-inf") or new == "":
        return old == new
    scale = math.sqrt(float(before[MEAN_SCALE[key]])) if key in MEAN_SCALE else abs(float(old))
    expected = float(old) * ((batch - 1) / batch if key == "pred_act_unit_var" else 1.0)
    return abs(float(new) - expected) <= tol * scale


@pytest.mark.parametrize("name", list(SPECS))
def test_layers_csv_is_unchanged(name):
    old = table((GOLDEN / f"plain_{name}.csv").read_text())
    raw = SPECS[name]
    run = runner.execute(spec.from_mapping(raw, default_name=name))
    new = table(rundir.csv_text(run.rows, NAMES))
    tol = 1e-12 if raw["model"].get("dtype") == "float64" else 1e-5
    assert len(new) == len(old) and set(old[0]) <= set(NAMES)
    for before, after in zip(old, new):
        changed = {k: (v, after[k]) for k, v in before.items()
                   if not same(before, after, k, tol, run.spec["data.batch_size"])}
        assert not changed, (before["layer"], changed)
    assert all(r["branch_share"] == "" and r["norm_in_m2"] == "" for r in new)


def test_overrides_that_restate_the_defaults_change_nothing():
    """model.layers naming each layer's own activation and initializers takes the per-layer path of
    mlp.build and of the profile, and gives the very same table, bit for bit."""
    raw = SPECS["relu_float64_mse"]
    m = raw["model"]
    same_net = dict(raw, model=dict(m, layers=[{"at": "1-2", "activation": m["activation"],
                                                "initializer": m["initializer"]},
                                               {"at": 4, "bias_initializer": m["bias_initializer"], "width": 40}]))
    plain, restated = runner.execute(spec.from_mapping(raw)), runner.execute(spec.from_mapping(same_net))
    assert rundir.csv_text(plain.rows, NAMES) == rundir.csv_text(restated.rows, NAMES)
