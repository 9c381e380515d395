"""Sweep heatmap grids: the colour means the same on both maps (blue vanishing, red exploding, in the
direction of travel), and every special cell is labelled."""

import math

from actinit_cli.nn.headline import TRENDS
from actinit_cli.sweep import report as sweep_report

ACT, GRAD, UNIT = TRENDS  # activation second moment, gradient second moment, per-unit variance


def row(init, a, g, **extra):
    return {"activation": "tanh", "initializer": init, "model.depth": "10", "status": "ok", "nonfinite": 0,
            "act_m2_slope_log2": a, "grad_m2_slope_log2": g, "act_m2_last_over_first": 0.5,
            "grad_m2_first_over_last": 0.5, "unit_var_slope_log2": -3.0, "unit_var_last_over_first": 1e-9, **extra}


def test_both_maps_use_the_direction_of_travel():
    rows = [row("he", -0.5, 0.5)]  # activations shrink forward; gradients shrink going back to the input
    _, _, act, _ = sweep_report._grid(rows, ACT, "activation", "initializer", ["model.depth"])
    _, _, grad, _ = sweep_report._grid(rows, GRAD, "activation", "initializer", ["model.depth"])
    _, _, unit, _ = sweep_report._grid(rows, UNIT, "activation", "initializer", ["model.depth"])
    assert act["depth 10"][0][0] == -0.5 and grad["depth 10"][0][0] == -0.5  # both vanishing: both blue
    assert unit["depth 10"][0][0] == -3.0  # inputs collapsing onto one another: blue too


def test_special_cells():
    rows = [row("a", None, None, act_m2_last_over_first=0.0, grad_m2_first_over_last=None),
            row("b", 0.1, 0.1, nonfinite=5), row("c", 0.1, 0.1, status="failed")]
    _, cols, grid, texts = sweep_report._grid(rows, GRAD, "activation", "initializer", [])
    assert texts["all points"][0] == ["to 0", "inf", "fail"]
    assert grid["all points"][0][0] == -math.inf and grid["all points"][0][1:] == [None, None]


def test_cell_texts_round_to_a_signed_value_never_minus_zero():
    rows = [row(init, a, -a) for init, a in (("a", -0.001), ("b", 0.001), ("c", -0.005), ("d", 1.234))]
    _, _, _, texts = sweep_report._grid(rows, ACT, "activation", "initializer", [])
    assert texts["all points"][0] == ["+0.00", "+0.00", "-0.01", "+1.23"]
