"""Recommendations from hand-built sweep rows: bounds, ranking at the deepest depth, and the verdicts."""

import math

from actinit_cli import recommend


def row(act, init, depth, a, g, status="ok", **extra):
    return {"activation": act, "initializer": init, "depth": depth, "status": status, "act_m2_slope_log2": a,
            "grad_m2_slope_log2": g, "nonfinite": 0, "max_dead_frac": 0.0, "max_saturated_frac": None, **extra}


def test_ranking_uses_the_deepest_depth_and_bounds_every_depth():
    rows = [row("tanh", "glorot_normal", 10, -0.3, 0.36), row("tanh", "glorot_normal", 50, -0.08, 0.08),
            row("tanh", "he_normal", 10, -0.01, -0.05), row("tanh", "he_normal", 50, 0.0, -0.15),
            row("tanh", "random", 10, -5.3, 5.3), row("tanh", "random", 50, -5.3, None)]
    (advice,) = recommend.advise(rows, width=256)
    assert [p.initializer for p in advice.pairs] == ["glorot_normal", "he_normal", "random"]
    assert [p.within for p in advice.pairs] == [True, False, False]  # He: 0.15 x 49 > log2 100
    assert advice.pairs[2].score == math.inf
    assert advice.verdict.startswith("agrees with the notes (Xavier/Glorot for tanh)")


def test_equivalent_variance_counts_as_agreement_and_a_better_outsider_as_disagreement():
    same = [row("selu", "orthogonal", 30, 0.0, -0.1), row("selu", "lecun_normal", 30, 0.0, -0.11)]
    assert "orthogonal has LeCun's variance" in recommend.advise(same, width=256)[0].verdict
    other = [row("relu", "glorot_normal", 30, -1.0, 1.0), row("relu", "standard", 30, 0.0, 0.0)]
    assert recommend.advise(other, width=256)[0].verdict.startswith("disagrees with the notes (He for relu)")


def test_nothing_within_bounds_and_failures():
    rows = [row("sigmoid", "glorot_normal", 50, 0.0, None), row("sigmoid", "he_normal", 50, 0.0, 4.0, status="failed")]
    (advice,) = recommend.advise(rows, width=256)
    assert advice.verdict.startswith("no initializer kept sigmoid within a factor 100")
    text = recommend.markdown([advice], [50])
    assert "## sigmoid" in text and "| glorot_normal | no | inf |" in text


def test_dead_and_saturated_notes():
    rows = [row("relu", "he_normal", 30, 0.0, 0.0, max_dead_frac=0.3)]
    assert recommend.advise(rows, width=256)[0].notes == ["he_normal: up to 30% of units dead for the whole batch"]
