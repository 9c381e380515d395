"""LSUV through specs and runs: refused where it cannot work, resolved on the run's first batch, and on ReLU it
reproduces He's scaling (Mishkin & Matas 2016 compare the two)."""

import re

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn.headline import headline
from actinit_cli.run import runner, spec

@pytest.mark.parametrize("model, message", [
    ("{depth: 3, width: 8, bias_initializer: lsuv}", "model.bias_initializer: lsuv rescales weight matrices"),
    ("{depth: 3, width: 8, layers: [{at: 2, bias_initializer: lsuv}]}",
     r"model.layers\[0\].bias_initializer: lsuv rescales weight matrices"),
    ("{depth: 3, width: 8, initializer: lsuv, block: {residual: true}}",
     "model.initializer: lsuv is resolved for plain MLPs only"),
    ("{depth: 3, width: 8, initializer: {name: lsuv, tol: 0}}", "model.initializer.tol: must be > 0"),
    ("{depth: 3, width: 8, initializer: {name: lsuv, base: identity}}", "model.initializer.base: got 'identity'"),
])
def test_lsuv_where_it_cannot_work_is_refused(model, message):
    with pytest.raises(ActinitError, match=message):
        spec.parse(f"model: {model}")

def relu(initializer, seed=0):
    return spec.from_mapping({"seed": seed, "model": {"depth": 30, "width": 256, "activation": "relu",
                                                      "initializer": initializer}, "data": {"batch_size": 1024}})

def test_lsuv_on_relu_keeps_the_signal_as_he_does():
    """Fitted log2 slope of E[y^2] over the hidden layers 0 +- 0.1, as He's (Mishkin & Matas 2016, Table 2's
    comparison); each pre-activation has variance 1 within tol on the first batch."""
    for init in ("lsuv", "he_normal"):
        run = runner.execute(relu(init))
        assert abs(headline(run.rows)["act_m2_slope_log2"]) < 0.1, init
    run = runner.execute(relu({"name": "lsuv", "tol": 0.05}))
    assert all(abs(r["preact_var"] - 1) < 0.05 for r in run.rows[1:]), [r["preact_var"] for r in run.rows]
    (note,) = [n for n in run.notes if n.startswith("lsuv")]
    assert "31 layers fitted on the first batch" in note and "not within tol" not in note
    assert re.search(r"(\d+) of them rescaled \((\d+) rescalings, at most 1 per layer", note)  # zero biases: one is exact
    assert run.prediction.profile is None and "scaled on the data" in run.prediction.reason

def test_lsuv_per_layer_and_same_seed_same_bytes():
    s = spec.from_mapping({"model": {"depth": 4, "width": 16, "activation": "tanh",
                                     "layers": [{"at": "2-3", "initializer": {"name": "lsuv", "max_iter": 2}}]},
                           "data": {"batch_size": 64}, "repeats": 2})
    a, b = runner.execute(s), runner.execute(s)
    assert a.rows == b.rows
    (note,) = [n for n in a.notes if n.startswith("lsuv")]
    assert "2 layers fitted on the first batch, 2 of them rescaled (2 rescalings, at most 1 per layer)" in note
    variances = [r["preact_var"] for r in a.per_repeat[0]]
    assert all(abs(v - 1) < 0.1 for v in variances[2:4]) and not abs(variances[4] - 1) < 0.1

def test_actinit_sample_lsuv_is_one_line_exit_2(cli, tmp_path):
    r = cli("sample", "lsuv", "--shape", "4", "4", "--output", tmp_path / "w.npy", "--format", "npy")
    assert r.exit_code == 2 and "lsuv: needs a batch of data" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "w.npy").exists()
