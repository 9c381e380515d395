"""Recommendations from hand-built sweep rows: bounds from the measured ratios, ranking at the deepest
depth, and verdicts that never claim a comparison that did not run."""

import math

import pytest

from actinit_cli.sweep import recommend

SIGMA = {"glorot_normal": 1.0, "lecun_normal": 1.0, "orthogonal": 1.0, "he_normal": 2.0, "standard": 1 / 3,
         "random": 0.0256, "variance_scaling(scale=2.0)": 2.0}


def row(act, init, depth, a, g, status="ok", **extra):
    """A points.csv row; the end-to-end ratios follow from the slopes unless given."""
    ratios = {"act_m2_last_over_first": None if a is None else 2.0 ** (a * (depth - 1)),
              "grad_m2_first_over_last": None if g is None else 2.0 ** (g * (depth - 1))}
    return {"activation": act, "initializer": init, "depth": depth, "width": 256, "sigma_w2": SIGMA.get(init),
            "status": status, "act_m2_slope_log2": a, "grad_m2_slope_log2": g, "nonfinite": 0,
            "max_dead_frac": 0.0, "max_saturated_frac": None, **ratios, **extra}


def test_ranking_uses_the_deepest_depth_and_bounds_use_measured_ratios():
    rows = [row("tanh", "glorot_normal", 10, -0.3, 0.36), row("tanh", "glorot_normal", 50, -0.08, 0.08),
            row("tanh", "he_normal", 10, -0.01, -0.05), row("tanh", "he_normal", 50, 0.0, -0.15),
            row("tanh", "random", 10, -5.3, 5.3), row("tanh", "random", 50, -5.3, None, grad_m2_first_over_last=0.0)]
    (advice,) = recommend.advise(rows)
    assert [p.initializer for p in advice.pairs] == ["glorot_normal", "he_normal", "random"]
    assert [p.within for p in advice.pairs] == [True, False, False]  # He: 2^(0.15 x 49) = 163 > 100
    assert advice.pairs[2].score == math.inf
    assert advice.verdict.startswith("agrees with the notes (Xavier/Glorot for tanh)")
    measured = [dict(r, grad_m2_first_over_last=1 / 71) if r["initializer"] == "he_normal" and r["depth"] == 50
                else r for r in rows]  # a measured ratio of 71x is within 100x, whatever the fitted slope says
    assert recommend.advise(measured)[0].pairs[1].within


def test_variance_not_names_decides_agreement():
    same = [row("selu", "orthogonal", 30, 0.0, -0.1), row("selu", "glorot_normal", 30, 0.0, -0.11)]
    assert "orthogonal has LeCun's variance" in recommend.advise(same)[0].verdict
    he_by_scale = [row("relu", "glorot_normal", 30, -1.0, 1.0), row("relu", "variance_scaling(scale=2.0)", 30, 0, 0)]
    assert recommend.advise(he_by_scale)[0].verdict.startswith("agrees with the notes (He for relu)")
    other = [row("relu", "he_normal", 30, -0.05, 0.05), row("relu", "standard", 30, 0.0, 0.0)]
    verdict = recommend.advise(other)[0].verdict
    assert verdict.startswith("disagrees with the notes (He for relu): measured, standard is flatter")


def test_a_pass_that_a_same_variance_twin_misses_is_only_indicative():
    """gelu with He at depth 50, width 256 (configs/sweep_grid.yaml, seed 0): he_uniform stayed within 100x and
    he_normal, with the same variance, lost 1e10x: one draw decided."""
    rows = [row("gelu", "he_uniform", 50, -0.15, 0.1, sigma_w2=2.0, act_m2_last_over_first=0.0172),
            row("gelu", "he_normal", 50, -0.75, 0.1, act_m2_last_over_first=4e-11),
            row("gelu", "glorot_normal", 50, -2.0, 0.1)]
    verdict = recommend.advise(rows)[0].verdict
    assert verdict.startswith("agrees with the notes (He for gelu): the flattest pair is he_uniform; only indicative: "
                              "he_normal, with the same variance, does not stay within 100x")
    settled = [r for r in rows if r["initializer"] != "he_normal"]
    assert "indicative" not in recommend.advise(settled)[0].verdict


def test_no_claims_about_what_did_not_run():
    only = [row("tanh", "he_normal", 30, 0.0, -0.1)]
    assert recommend.advise(only)[0].verdict.startswith("only he_normal was swept")
    absent = [row("tanh", "he_normal", 30, 0.0, -0.1), row("tanh", "standard", 30, -1.6, 1.6)]
    assert "which this sweep did not include" in recommend.advise(absent)[0].verdict


def test_nothing_within_bounds_states_the_bound_used():
    rows = [row("sigmoid", "glorot_normal", 50, 0.0, None, grad_m2_first_over_last=0.0),
            row("sigmoid", "he_normal", 50, 0.0, 4.0, status="failed")]
    (advice,) = recommend.advise(rows, bound=1.5)
    assert advice.verdict.startswith("no initializer kept sigmoid within a factor 1.5")
    text = recommend.markdown([advice], [50], bound=1.5)
    assert "## sigmoid" in text and "| glorot_normal | no | inf |" in text and "within 1.5x" in text
    gelu = recommend.markdown(recommend.advise([row("gelu", "he_normal", 50, 0.0, 0.0)]), [50])
    assert "## The notes' rules, measured\n\n- none: they are about relu, leaky_relu, sigmoid and tanh, and this " \
           "sweep has gelu\n" in gelu


def test_rules_and_notes():
    rows = [row("relu", "he_normal", 30, 0.0, 0.0, max_dead_frac=0.3), row("relu", "he_uniform", 30, 0.0, 0.0,
                                                                             max_dead_frac=0.4),
            row("sigmoid", "glorot_normal", 30, 0.0, 4.0)]
    advice = recommend.advise(rows)
    assert advice[0].notes == ["up to 40% of units dead for the whole batch (with he_normal, he_uniform)"]
    lines = recommend.rules(advice)
    assert "beware dead relu: up to 40% of relu units are dead for a whole batch" in lines
    assert any(line.startswith("avoid sigmoid:") and "does not stay within 100x" in line for line in lines)
    assert lines[0] == "prefer relu: relu ranks 1 of 2 by its flattest initializer (he_normal)"


def test_collapse_to_zero_is_not_counted_as_dead_units():
    rows = [row("gelu", "random", 50, None, None, act_m2_last_over_first=0.0, grad_m2_first_over_last=0.0,
                max_dead_frac=1.0), row("gelu", "he_normal", 50, -0.8, 0.7)]
    assert recommend.advise(rows)[0].notes == []



@pytest.mark.parametrize("a, g, ending", [
    (-0.3, 0.3, "does not (its fitted slope, 0.3 doublings per layer, is steeper too)"),
    (-0.01, 0.01, "does not (although its fitted slope, 0.01 doublings per layer, is flatter)"),
    (-0.1, 0.1, "does not (its fitted slope, 0.1 doublings per layer, is the same)"),
])
def test_a_textbook_pair_outside_bounds_says_whether_its_slope_explains_it(a, g, ending):
    """'although' only where the slope would have favoured the textbook pair; a steeper one is no surprise."""
    rows = [row("tanh", "he_normal", 10, -0.1, 0.1, act_m2_last_over_first=1 / 1.5),
            row("tanh", "glorot_normal", 10, a, g, act_m2_last_over_first=3.0)]
    verdict = recommend.advise(rows, bound=2.0)[0].verdict
    assert verdict.startswith("disagrees with the notes (Xavier/Glorot for tanh): measured, he_normal stays within 2x")
    assert verdict.endswith(ending), verdict
