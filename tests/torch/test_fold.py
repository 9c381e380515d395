"""Issue 14 item 3: a torch.nn.Sequential built like a spec's plain MLP, with the same weights, gives the same
layers.csv as actinit's NumPy run of that spec, cell by cell (float32: every cell to 1e-5 relative; float64:
1e-10), theory columns included; and models that are not plain MLPs get module rows only."""

import math

import pytest

from actinit_cli.run import report, rundir, runner, spec
from actinit_cli.nn.columns import NAMES
from tests.cases import need

need("torch")
MODELS = "tests/torch/models.py"


def torch_spec(sizes, activation, init, loss="random_projection", dtype="float32", extra="", params=None, bias=True):
    kwargs = {"sizes": list(sizes), "activation": activation, "params": params or {}, "bias": bias}
    return spec.parse(f"""
name: t
model: {{torch: {{factory: "{MODELS}:mlp", kwargs: {kwargs}, input_shape: [{sizes[0]}]}},
         initializer: {init}, bias_initializer: {{name: random_normal, stddev: 0.1}}, dtype: {dtype}}}
data: {{batch_size: 64, batches: 2}}
loss: {loss}
repeats: 2
{extra}""")


def numpy_spec(sizes, activation, init, loss="random_projection", dtype="float32",
               bias_init="{name: random_normal, stddev: 0.1}"):
    return spec.parse(f"""
name: t
model: {{depth: {len(sizes) - 2}, width: {list(sizes[1:-1])}, input_dim: {sizes[0]}, output_dim: {sizes[-1]},
         activation: {activation}, initializer: {init}, bias_initializer: {bias_init},
         dtype: {dtype}}}
data: {{batch_size: 64, batches: 2}}
loss: {loss}
repeats: 2""")


def csv_rows(run, root):
    return rundir.read_csv(report.write(run, root, plots=False) / rundir.LAYERS)


CASES = [((32, 64, 64, 16), "Tanh", "tanh", "glorot_normal", "random_projection", "float32", None),
         ((24, 48, 32, 48, 8), "ReLU", "relu", "he_uniform", "mse", "float32", None),
         ((16, 32, 32, 4), "LeakyReLU", "{name: leaky_relu, negative_slope: 0.2}", "he_normal", "mse", "float32",
          {"negative_slope": 0.2}),
         ((16, 32, 32, 32, 8), "SELU", "selu", "lecun_normal", "random_projection", "float64", None)]


@pytest.mark.parametrize("sizes,module,activation,init,loss,dtype,params", CASES, ids=[c[1] for c in CASES])
def test_same_layers_csv_as_the_numpy_run(tmp_path, sizes, module, activation, init, loss, dtype, params):
    theirs = csv_rows(runner.execute(numpy_spec(sizes, activation, init, loss, dtype)), tmp_path / "numpy")
    run = runner.execute(torch_spec(sizes, module, init, loss, dtype, params=params))
    ours = csv_rows(run, tmp_path / "torch")
    rtol = 1e-5 if dtype == "float32" else 1e-10
    assert len(ours) == len(theirs) == len(sizes)
    for a, b in zip(ours, theirs):
        assert list(a) == list(NAMES)
        for col in NAMES:
            if b[col] is None or a[col] is None:
                assert a[col] is b[col], (a["layer"], col)
            else:
                assert a[col] == pytest.approx(b[col], rel=rtol, abs=1e-12 * math.sqrt(b["act_m2"] or 1)), \
                    (a["layer"], col)
    assert spec.from_mapping(run.mlp_spec).resolved == numpy_spec(sizes, activation, init, loss, dtype).resolved


def test_linears_without_bias_are_the_mlp_with_zero_biases(tmp_path):
    """The spec's bias_initializer (stddev 0.1 in torch_spec) has no bias to draw: the plain-MLP view, its
    prediction and its mlp_spec are those of zero biases; grad_b_m2 is the one cell the NumPy run has beyond it
    (its zero biases get a gradient, the torch model has no bias)."""
    sizes = (24, 48, 32, 8)
    theirs = csv_rows(runner.execute(numpy_spec(sizes, "relu", "he_normal", bias_init="zeros")), tmp_path / "numpy")
    run = runner.execute(torch_spec(sizes, "ReLU", "he_normal", bias=False))
    ours = csv_rows(run, tmp_path / "torch")
    assert run.mlp_spec["model"]["bias_initializer"] == "zeros"
    for a, b in zip(ours, theirs):
        assert a["grad_b_m2"] is None and (b["grad_b_m2"] is not None) == (a["layer"] > 0)
        for col in NAMES:
            if col != "grad_b_m2" and (a[col] is None or b[col] is None):
                assert a[col] is b[col], (a["layer"], col)
            elif col != "grad_b_m2":
                assert a[col] == pytest.approx(b[col], rel=1e-5, abs=1e-12 * math.sqrt(b["act_m2"] or 1)), \
                    (a["layer"], col)
    assert [r["pred_preact_m2"] for r in ours[1:]] == pytest.approx([2.0] * 3, rel=1e-12)  # He/ReLU, unit input: q = 2


def test_linears_of_which_only_some_have_a_bias_get_no_prediction_and_no_spec(tmp_path):
    """actinit's MLP has a bias on every layer: a mix has no actinit spec and no prediction (the first Linear's
    bias of stddev 0.1 would be left out of it), and the note says why."""
    s = torch_spec((16, 16, 16, 4), "ReLU", "he_normal", bias=[True, False, False])
    run = runner.execute(s)
    assert run.mlp is not None and run.mlp_spec is None and run.mlp.prediction.profile is None
    assert "some Linears have a bias and some do not" in run.mlp.prediction.reason
    assert any("some of its Linears have a bias and some do not: no actinit spec reproduces it" in n for n in run.notes)


def test_models_that_are_not_plain_mlps_have_module_rows_only(tmp_path):
    for factory in ("residual", "dropout"):
        s = spec.parse(f"model: {{torch: {{factory: '{MODELS}:{factory}', input_shape: [8]}}}}\n"
                       f"data: {{batch_size: 16}}\nloss: random_projection")
        run = runner.execute(s)
        assert run.mlp is None and run.mlp_spec is None
        folder = report.write(run, tmp_path, plots=False)
        assert (folder / rundir.MODULES).is_file() and not (folder / rundir.LAYERS).exists()
    whole = torch_spec((8, 16, 4), "Tanh", "he_normal")
    assert runner.execute(whole).mlp is not None  # the control: recorded whole, it is a plain MLP
    part = torch_spec((8, 16, 4), "Tanh", "he_normal")
    part.resolved["model"]["torch"]["layers"] = {"type": ["Linear"]}
    assert runner.execute(part).mlp is None  # recorded in part: no per-layer view


def test_own_initialization_gives_the_layers_without_theory():
    s = spec.parse(f"model: {{torch: {{factory: '{MODELS}:mlp', input_shape: [32]}}}}\ndata: {{batch_size: 16}}\n"
                   f"loss: random_projection")
    run = runner.execute(s)
    assert run.mlp is not None and run.mlp.prediction.profile is None and run.mlp_spec is None
    assert all(r["pred_act_m2"] is None for r in run.mlp.rows)
    assert "own initialization" in run.mlp.prediction.reason
