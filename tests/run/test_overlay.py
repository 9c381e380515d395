"""Theory beside measurement: wide nets land inside the predicted band; the prediction refuses specs
it cannot describe instead of drawing a wrong curve."""

import math

import numpy as np
import pytest

from actinit_cli.run import overlay, report, runner, spec

# The usual pairs at width 1024 (docs/reference-numbers.md section M): measured second moments inside the band.
USUAL = [("tanh", "glorot_normal"), ("relu", "he_normal"), ("selu", "lecun_normal"), ("gelu", "he_normal"),
         ("sigmoid", "glorot_normal")]


@pytest.mark.parametrize("act, init", USUAL)
def test_wide_nets_sit_inside_the_band(act, init):
    """The band is a +-2 sd (95 %) interval for each layer of one net: of 11 layers, more than two outside has
    probability below 2 % (binomial, 5.5 % each, the rate test_band_is_calibrated measures)."""
    s = spec.parse(f"model: {{depth: 10, width: 1024, activation: {act}, initializer: {init}}}\n"
                   f"data: {{batch_size: 512}}\nloss: random_projection")
    run = runner.execute(s)
    rows = run.rows
    assert run.prediction.profile is not None
    assert sum(r["outside_band"] for r in rows[1:]) <= 2
    for r in rows[1:-1]:  # and the gradients follow the chi product within 25 % (M1: [0.8, 1.25])
        assert r["grad_preact_m2"] / r["pred_grad_preact_m2"] == pytest.approx(1.0, rel=0.25)


@pytest.mark.parametrize("act, init, calibrated", [("sigmoid", "glorot_normal", True), ("tanh", "glorot_normal", False)])
def test_band_is_calibrated(act, init, calibrated):
    """Over 40 independent nets, the spread of ln(measured / predicted) E[y^2] per layer against the band's
    standard deviation (the single-input chain of Hanin & Rolnick, docs/reference-numbers.md section W).
    Where the inputs collapse onto one another (sigmoid: c -> 1), a batch is one input and the band is
    calibrated: the spread within 30 % of it and about 5 % of layers outside +-2 sd. Where they stay apart
    (tanh/Xavier), the batch averages them and the band is conservative: the spread is smaller."""
    logs, sd = [], None
    for seed in range(40):
        s = spec.parse(f"seed: {seed}\nmodel: {{depth: 6, width: 512, activation: {act}, initializer: {init}}}\n"
                       f"data: {{batch_size: 256}}")
        rows = runner.execute(s).rows[2:7]  # hidden layers 2..6 (layer 1's E[y^2] is exact given x)
        logs.append([math.log(r["act_m2"] / r["pred_act_m2"]) for r in rows])
        sd = [math.log(r["pred_act_band"]) / 2 for r in rows]
    measured, sd = np.std(logs, axis=0), np.array(sd)
    outside = np.mean(np.abs(logs) > 2 * sd)
    if calibrated:
        assert np.all(np.abs(measured / sd - 1) < 0.3) and 0.01 <= outside <= 0.12, (measured, sd, outside)
    else:
        assert np.all(measured < sd) and outside == 0, (measured, sd)


def test_xavier_tanh_config_sits_on_the_curve():
    run = runner.execute(spec.load("configs/xavier_tanh.yaml"))
    for r in run.rows[1:]:
        assert r["act_m2"] == pytest.approx(r["pred_act_m2"], rel=0.05)
    summary = run.prediction.summary
    assert summary["phase"] == "critical" and summary["chi_1"] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("batch", [2, 4, 64])
def test_unit_variance_prediction_is_the_expected_batch_variance(batch):
    """act_unit_var divides each batch's sum of squared deviations by the batch, so its expected value is
    (batch - 1) / batch times E[y^2] - E[y_a y_b]: half of it at batch 2. The prediction says so; measured over
    800 samples of a tanh/Xavier net it stays within 3 % at every layer (1.6 % at most measured)."""
    s = spec.parse(f"model: {{depth: 4, width: 256, activation: tanh, initializer: glorot_normal}}\n"
                   f"data: {{batch_size: {batch}, batches: {800 // batch}}}")
    rows = runner.execute(s).rows[:-1]
    assert [r["act_unit_var"] / r["pred_act_unit_var"] for r in rows] == pytest.approx([1.0] * len(rows), abs=0.03)


def test_a_vanishing_scale_has_no_band_and_no_warning():
    """relu at stddev 1e-20: q^l ~ 3e-39^l, whose square underflows to 0 from layer 5, where the band's 0/0 printed
    numpy's RuntimeWarning on stderr during the run. The band stops there (nan: not drawn), silently."""
    import warnings

    s = spec.parse("model: {depth: 6, width: 32, activation: relu, initializer: {name: random_normal, "
                   "stddev: 1.0e-20}}\ndata: {batch_size: 64}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prof = overlay.predict(s).profile
    underflowed = prof.preact_m2**2 == 0
    assert list(np.isnan(prof.preact_log_std[1:])) == list(underflowed[1:]) and underflowed[5:].all()


def test_band_flags_a_layer_that_leaves_it():
    s = spec.parse("model: {depth: 3, width: 64, activation: tanh}\ndata: {batch_size: 32}")
    pred = overlay.predict(s)
    rows = runner.execute(s).rows
    rows[2] = dict(rows[2], act_m2=rows[2]["act_m2"] * 10)
    assert overlay.annotate([{k: v for k, v in r.items() if not k.startswith(("pred_", "outside"))}
                             for r in rows], pred, 32)[2]["outside_band"] == 1


@pytest.mark.parametrize("model, reason", [
    ("initializer: identity", "not zero-mean random"),
    ("initializer: {name: random_normal, mean: 0.1}", "not zero-mean random"),
    ("bias_initializer: {name: constant, value: 0.1}", "biases (constant) have mean 0.1"),
])
def test_theory_refuses_what_it_cannot_describe(model, reason):
    s = spec.parse(f"model: {{depth: 3, width: 16, {model}}}\ndata: {{batch_size: 8}}")
    run = runner.execute(s)
    assert run.prediction.profile is None and reason in run.prediction.reason
    assert all(r["pred_act_m2"] is None and r["outside_band"] is None for r in run.rows)
    assert report.theory_line(run) == f"theory: does not apply ({run.prediction.reason})"


def test_softmax_output_predicts_preactivations_only():
    s = spec.parse("model: {depth: 3, width: 32, output_dim: 10, activation: relu, initializer: he_normal}\n"
                   "loss: cross_entropy\ndata: {batch_size: 64}")
    run = runner.execute(s)
    out = run.rows[-1]
    assert out["pred_preact_m2"] is not None and out["pred_act_m2"] is None
    assert any("not elementwise" in n for n in run.notes)


def test_bias_and_input_mean_enter_the_prediction():
    s = spec.parse("model: {depth: 4, width: 512, activation: tanh, bias_initializer: {name: random_normal, "
                   "stddev: 0.3}}\ndata: {batch_size: 512, input: {mean: 0.5, std: 1.5}}\nloss: random_projection")
    run = runner.execute(s)
    assert run.rows[0]["pred_act_m2"] == pytest.approx(2.5)
    assert run.rows[1]["pred_preact_m2"] == pytest.approx(1.0 * 2.5 + 0.09)
    assert [r["outside_band"] for r in run.rows[1:]] == [0] * 5
    assert math.isfinite(run.prediction.summary["chi_1"])
