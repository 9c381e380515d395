"""Baselines: layer-by-layer log2 comparison, shape mismatches, and safe replacement."""

import math

import pytest

from actinit_cli.gates import baseline
from actinit_cli.errors import ActinitError
from tests.run.test_checks import rows


def test_baseline_catches_a_doubled_variance():
    old = rows([1, 1, 1, 1], grad_preact_m2=[None, 1, 1, 1])
    new = rows([1, 1, 2.1, 1], grad_preact_m2=[None, 1, 1, 1])
    results = {r.name: r for r in baseline.compare(new, old, 1.0, "t")}
    bad = results["baseline act_m2"]
    assert not bad.passed and bad.layer == 2 and bad.value == pytest.approx(math.log2(2.1))
    assert results["baseline grad_preact_m2"].passed and results["baseline nonfinite"].passed
    assert all(r.passed for r in baseline.compare(rows([1, 1, 1.9, 1]), rows([1, 1, 1, 1]), 1.0))
    assert "baseline branch_share" not in results  # empty in both runs: no row that could not fail


def test_baseline_edges():
    assert baseline.log2_ratio(0.0, 0.0) == 0.0 and baseline.log2_ratio(0.0, 1.0) == math.inf
    assert baseline.log2_ratio(float("nan"), 1.0) is None
    new = rows([1, 1, 1])
    new[1]["nonfinite"] = 5
    assert not {r.name: r for r in baseline.compare(new, rows([1, 1, 1]), 1.0)}["baseline nonfinite"].passed
    with pytest.raises(ActinitError, match="compare like with like"):
        baseline.compare(rows([1, 1, 1]), rows([1, 1, 1, 1]), 1.0)


@pytest.mark.parametrize("new_g, old_g, said", [
    ([None, 1, 1, 1], [1, 1, 1, 1], "layer 0: grad_preact_m2 is measured in the baseline, not this run"),
    ([1, 1, 1, 1], [None, 1, 1, 1], "layer 0: grad_preact_m2 is measured in this run, not the baseline"),
    ([float("nan"), 1, 1, 1], [1, 1, 1, 1], "layer 0: new nan, baseline 1: cannot compare")])
def test_a_cell_only_one_run_has_fails_and_says_how_to_refresh(new_g, old_g, said):
    """E.g. a torch baseline saved when actinit measured dL/dx for every model: now it does only where needed."""
    got = {r.name: r for r in baseline.compare(rows([1, 1, 1, 1], grad_preact_m2=new_g),
                                                rows([1, 1, 1, 1], grad_preact_m2=old_g), 1.0)}["baseline grad_preact_m2"]
    assert not got.passed and got.message.startswith(said)
    assert ("--update-baseline" in got.message) == ("measured in" in said)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("new_g, old_g, passed", [
    ([1, 1, NAN, 1], [1, 1, NAN, 1], True),  # the nan was in the baseline: not new
    ([1, 1, INF, 1], [1, 1, INF, 1], True),
    ([1, 1, NAN, 1], [1, 1, 1, 1], False),  # new nan
    ([1, 1, INF, 1], [1, 1, NAN, 1], False),  # another non-finite value: new
    ([1, 1, -INF, 1], [1, 1, INF, 1], False),
    ([1, 1, NAN, 4], [1, 1, NAN, 1], False),  # a finite layer still moved 2 doublings
])
def test_only_new_inf_or_nan_fail_a_baseline(new_g, old_g, passed):
    """README: fails where |log2(new/old)| exceeds --tolerance, or where new inf/nan appear (a run against itself passes)."""
    got = {r.name: r for r in baseline.compare(rows([1, 1, 1, 1], grad_preact_m2=new_g),
                                                rows([1, 1, 1, 1], grad_preact_m2=old_g), 1.0)}["baseline grad_preact_m2"]
    assert got.passed is passed, got.message


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_tolerance_must_be_a_positive_number(value):
    with pytest.raises(ActinitError, match="--tolerance"):
        baseline.check_tolerance(value)


def test_update_never_replaces_what_is_not_a_run(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ActinitError, match="exists and is not a run directory"):
        baseline.update(tmp_path, precious)
    assert (precious / "notes.txt").read_text() == "keep me"
