"""Module rows against an independent computation: the same model run again without hooks, every
intermediate output and its gradient kept by autograd, and each column computed with plain float64 NumPy."""

import numpy as np
import pytest

from actinit_cli.torch import inspect, rows as module_rows
from tests.cases import need

torch = need("torch")


def conv_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(inplace=True), torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.Tanh(),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 3)).double()


def reference(model, x0, r):
    """[(output, dL/d(output))] of every module, computed apart (in-place ReLU replaced by torch.relu), and dL/dx."""
    x = x0.clone().requires_grad_()
    outs, h = [], x
    for m in model:
        h = torch.relu(h) if isinstance(m, torch.nn.ReLU) else m(h)
        h.retain_grad()
        outs.append(h)
    (h * r).sum().backward()
    return [(o.detach().numpy().reshape(len(x0), -1), o.grad.numpy().reshape(len(x0), -1)) for o in outs], x


def expected(y, g):
    return {"act_mean": y.mean(), "act_var": y.var(), "act_m2": (y * y).mean(), "act_unit_var": y.var(axis=0).mean(),
            "zero_frac": (y == 0).mean(), "dead_frac": (~(y != 0).any(axis=0)).mean(), "grad_act_m2": (g * g).mean(),
            "width": y.shape[1]}


def test_module_rows_equal_an_independent_computation():
    x0 = torch.randn(6, 3, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    r = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    model = conv_model()
    got = inspect(model, x0, target=r).rows
    ref_model = conv_model()  # same seed: same weights; a fresh BatchNorm (its running stats do not matter in training)
    outs, x = reference(ref_model, x0, r)
    assert [row["type"] for row in got[1:]] == [type(m).__name__ for m in model]
    x_flat, dx = x0.numpy().reshape(6, -1), x.grad.numpy().reshape(6, -1)
    for key, want in expected(x_flat, dx).items():
        if key == "grad_act_m2":  # a conv model: no dL/dx (test_input_gradient_only_where_it_is_needed)
            assert got[0][key] is None
        elif key not in ("zero_frac", "dead_frac"):
            assert got[0][key] == pytest.approx(want, rel=1e-10, abs=1e-14), key
    for i, (row, (y, g), m) in enumerate(zip(got[1:], outs, ref_model)):
        counted = isinstance(m, (torch.nn.ReLU, torch.nn.Tanh)) or i == len(model) - 1  # activations, the output
        for key, want in expected(y, g).items():
            if key in ("zero_frac", "dead_frac") and not counted:
                assert row[key] is None, (row["module"], key)  # a Conv's, a BatchNorm's, a pool's output: not counted
            else:
                assert row[key] == pytest.approx(want, rel=1e-10, abs=1e-14), (row["module"], key)
        if hasattr(m, "weight") and m.weight is not None:
            w, dw, db = m.weight.detach().numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()
            assert row["weight_var"] == pytest.approx(w.var(), rel=1e-10)
            assert row["grad_w_m2"] == pytest.approx((dw * dw).mean(), rel=1e-10)
            assert row["grad_w_var"] == pytest.approx(dw.var(), rel=1e-10)
            assert row["grad_b_m2"] == pytest.approx((db * db).mean(), rel=1e-10)
            if w.var() > 0:  # BatchNorm's weight starts at 1 everywhere: no ratio
                assert row["grad_weight_ratio"] == pytest.approx(np.sqrt(dw.var() / w.var()), rel=1e-10)
        saturated = (np.abs(y) >= 0.99).mean() if isinstance(m, torch.nn.Tanh) else None
        assert row["saturated_frac"] == (pytest.approx(saturated) if saturated is not None else None)


def test_every_cell_is_filled_exactly_where_it_applies():
    """...except grad_weight_ratio of a constant weight (BatchNorm's starts at 1): std(W) = 0 has no ratio, and a
    check of it there fails (no value), as for actinit's own constant weights."""
    got = inspect(conv_model(), torch.randn(4, 3, 8, 8, dtype=torch.float64)).rows
    for row in got:
        for q in module_rows.STATS:
            constant = q == "grad_weight_ratio" and row["weight_var"] == 0
            assert (row[q] is not None) == (module_rows.applies(q, row) and not constant), (row["module"], q)


class Shared(torch.nn.Module):
    """One Linear and one ReLU, each called twice."""

    def __init__(self):
        super().__init__()
        self.fc, self.act = torch.nn.Linear(5, 5), torch.nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(self.act(self.fc(x))))


def test_a_module_called_twice_has_a_row_per_call_and_shares_its_weight_gradient():
    model = Shared().double()
    x = torch.randn(7, 5, dtype=torch.float64)
    got = inspect(model, x).rows
    assert [(r["module"], r["call"]) for r in got[1:]] == [("fc", 1), ("act", 1), ("fc", 2), ("act", 2)]
    assert got[1]["grad_w_m2"] == got[3]["grad_w_m2"]
    xr = x.clone().requires_grad_()
    out = model(xr)
    r = torch.from_numpy(np.random.default_rng(0).standard_normal((7, 5)))  # inspect's default target, seed 0
    (out * r).sum().backward()
    dw = model.fc.weight.grad.numpy()
    assert got[1]["grad_w_m2"] == pytest.approx((dw * dw).mean(), rel=1e-10)


def test_dead_saturated_and_filtered():
    lin = torch.nn.Linear(4, 6).double()
    with torch.no_grad():
        lin.bias.fill_(-100.0)  # every pre-activation is far below 0: every relu unit is dead
    model = torch.nn.Sequential(lin, torch.nn.ReLU(), torch.nn.Linear(6, 3).double(), torch.nn.Sigmoid())
    got = inspect(model, torch.randn(9, 4, dtype=torch.float64)).rows
    assert got[2]["dead_frac"] == 1.0 and got[2]["zero_frac"] == 1.0 and got[2]["grad_w_m2"] is None
    only = inspect(model, torch.randn(9, 4, dtype=torch.float64), layers={"type": "Sigmoid"}).rows
    assert [r["type"] for r in only] == ["", "Sigmoid"] and only[1]["saturated_frac"] is not None


def test_inspect_leaves_the_module_and_the_batch_as_they_were():
    model = conv_model()
    model.eval()
    x = torch.randn(4, 3, 8, 8, dtype=torch.float64)
    for p in model.parameters():
        p.grad = torch.full_like(p, 3.0)
    inspect(model, x)
    assert not model.training and x.grad is None and not x.requires_grad
    assert all(torch.all(p.grad == 3.0) for p in model.parameters())
    assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())


def _frozen():
    model = conv_model()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _pool_first():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                               torch.nn.Flatten(), torch.nn.Linear(16, 3)).double()


def _plain():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(),
                               torch.nn.Linear(4, 3)).double()


# model, input shape, whether row 0 has dL/dx, why
INPUT_GRADIENT = {
    "plain MLP": (_plain, (6, 5), True, "the plain-MLP view's layer 0 needs it"),
    "conv model": (conv_model, (6, 3, 8, 8), False, "its first module has a weight: dL/dx serves nothing else"),
    "no trainable parameter": (_frozen, (6, 3, 8, 8), True, "nothing else would carry a gradient"),
    "a pool before the first conv": (_pool_first, (6, 3, 8, 8), True, "the pool's output needs it for its gradient"),
    "activations only": (lambda: torch.nn.Sequential(torch.nn.Tanh()), (6, 5), True, "no parameter at all"),
}


@pytest.mark.parametrize("name", INPUT_GRADIENT)
def test_input_gradient_only_where_it_is_needed(name):
    """dL/dx costs a backward pass through the first layer; it is taken where row 0, the plain-MLP view or a module
    before any trainable parameter needs it, and every module row has its gradient either way."""
    make, shape, measured, why = INPUT_GRADIENT[name]
    x = torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    got = inspect(make(), x).rows
    assert (got[0]["grad_act_m2"] is not None) == measured, why
    assert module_rows.applies("grad_act_m2", got[0]) == measured
    assert all(r["grad_act_m2"] is not None for r in got[1:]), [r["module"] for r in got if r["grad_act_m2"] is None]


def test_counts_are_taken_on_the_values_the_rest_of_the_row_describes():
    """The model's output gets zero and dead counts as actinit's last layer does, but not when the forward changed it
    in place after the last module's hook (f(x).relu_()): they would describe other values than its act_* columns."""
    from tests.torch.models import relu_after

    x = torch.randn(9, 8, generator=torch.Generator().manual_seed(4))
    got = inspect(relu_after(), x).rows
    assert got[-1]["module"] == "b" and got[-1]["zero_frac"] is None and got[-1]["dead_frac"] is None
    assert got[-1]["act_mean"] < 0.2  # the Linear's own output, before the relu_ (which would leave it >= 0)
    plain = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
    assert inspect(plain, x).rows[-1]["zero_frac"] == 0.0  # the output row, counted


def test_input_gradient_always_measures_dx_and_nothing_else_changes():
    x = torch.randn(6, 3, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    auto, always = inspect(conv_model(), x).rows, inspect(conv_model(), x, input_gradient="always").rows
    assert auto[0]["grad_act_m2"] is None and always[0]["grad_act_m2"] > 0
    assert [{**r, "grad_act_m2": None} for r in always[:1]] + always[1:] == auto
    for bad in ("yes", False, np.array([1, 2]), "x" * 100_000):
        with pytest.raises(Exception, match=r"^input_gradient: expected auto \(dL/dx where something needs it\) or "
                                            r"always, got .{1,50}$"):  # shown(): one short line
            inspect(conv_model(), x, input_gradient=bad)
