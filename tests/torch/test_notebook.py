"""The notebook API: inspect() without a spec measures what a spec's run measures (same model, weights, batch
and target: the same rows), gives a plain MLP's per-layer view, draws the plots; frame() says how to get pandas."""

import sys

import numpy as np
import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn import initializers
from actinit_cli.run import runner, spec
from actinit_cli.torch import factory, inspect, layout, losses, rows as module_rows
from actinit_cli.torch.model import Streams, draw_inputs, seeded
from tests.cases import REPO, need

torch = need("torch")
residual = factory.load("models.py:residual", REPO / "tests/torch", "test")


def test_inspect_measures_what_a_spec_run_measures():
    s = spec.parse(f"model: {{torch: {{factory: '{REPO}/tests/torch/models.py:residual', input_shape: [8]}}, "
                   f"initializer: he_normal, bias_initializer: zeros}}\ndata: {{batch_size: 32}}\n"
                   f"loss: random_projection")
    run = runner.execute(s)
    streams = Streams.of(0)  # rebuild repeat 0 by hand, as tests of a notebook user would
    with seeded(streams.torch):
        model = residual()
    layout.initialize(model, initializers.get("he_normal"), initializers.get("zeros"), streams.weights)
    data = np.random.default_rng(streams.data)
    x = draw_inputs(data, (32, 8), "normal", 0.0, 1.0, np.dtype(np.float32))
    r = losses.targets("random_projection", data, (32, 4), np.dtype(np.float32))
    got = inspect(model, torch.from_numpy(x), target=torch.from_numpy(r)).rows
    assert len(got) == len(run.rows) == 6
    assert all(list(a) == list(module_rows.COLUMNS) for a in got)  # modules.csv's columns, no others (README)
    for a, b in zip(got, run.rows):
        for col in module_rows.COLUMNS:
            assert a[col] == (pytest.approx(b[col], rel=1e-12) if isinstance(b[col], float) else b[col]), col


def test_plain_mlp_view_and_plots(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 8))
    result = inspect(model, torch.randn(64, 16))
    assert [r["layer"] for r in result.layers] == [0, 1, 2]
    assert result.layers[1]["preact_m2"] == pytest.approx(result.rows[1]["act_m2"], rel=1e-12)
    assert result.layers[1]["act_m2"] == pytest.approx(result.rows[2]["act_m2"], rel=1e-12)
    paths = result.plot(tmp_path, show=False)
    assert [p.name for p in paths] == ["variance_by_module.png", "activations_hist.png", "gradients_hist.png",
                                       "saturation.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    assert "<table>" in result._repr_html_() and "Tanh" in result._repr_html_()


def test_frame_without_pandas_says_how(monkeypatch):
    result = inspect(torch.nn.Linear(3, 2), torch.randn(4, 3))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ActinitError, match=r"needs pandas \(pip install pandas\); .rows holds the same table"):
        result.frame()


def test_bad_loss_and_output():
    with pytest.raises(ActinitError, match="loss: got 'hinge', expected one of mse"):
        inspect(torch.nn.Linear(3, 2), torch.randn(4, 3), loss="hinge")
    with pytest.raises(ActinitError, match=r"loss: cross_entropy takes \(batch, classes\) logits"):
        inspect(torch.nn.Linear(3, 1), torch.randn(4, 3), loss="cross_entropy")


class _Pair(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x), x


def test_an_output_that_is_not_one_tensor_is_refused_by_name():
    """A model returning a tuple raised a bare AttributeError ('tuple' object has no attribute 'shape')."""
    with pytest.raises(ActinitError, match=r"^module: its output must be one floating tensor .*, got tuple$"):
        inspect(_Pair(), torch.randn(4, 3))


class _Scaled(torch.nn.Module):
    """A float32 model with one float64 parameter registered first (a review: x was cast to it)."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones((), dtype=torch.float64))
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x) * self.scale.float()


def test_a_model_of_mixed_dtypes_takes_x_as_given():
    assert inspect(_Scaled(), torch.randn(4, 3)).rows[0]["act_m2"] > 0


def test_a_float64_model_takes_a_float32_batch_as_a_run_does():
    """x is cast to the parameters' dtype (a run casts its batch to model.dtype); it raised torch's dtype error."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    x = torch.randn(4, 3)
    got = inspect(model, x).rows
    want = inspect(model, x.double()).rows
    assert got == want and x.dtype == torch.float32
