"""Losses: values against the README's formulas, output gradients against finite differences, targets,
and stability for huge logits. (Gradients through the whole net: test_mlp.py.)"""

import numpy as np
import pytest

from actinit_cli.nn import activations, losses
from tests.nn.test_mlp import LOSS_OUTPUTS, numeric


@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
def test_output_dy_is_dloss_dy(loss, output):
    """dL/dy at the output (reported as grad_act_m2) against finite differences in y itself."""
    rng = np.random.default_rng(2)
    h = rng.normal(size=(6, 4))
    act = activations.get(output)
    y = act.fn(h)
    target = losses.targets(loss, rng, 6, 4, np.dtype("float64"))
    got = losses.evaluate(loss, h, y, target, act).dy
    if loss in ("cross_entropy", "binary_cross_entropy"):  # their value is a function of y through h only:
        fy = {"cross_entropy": lambda: -np.mean(np.log(y[np.arange(6), target])),
              "binary_cross_entropy": lambda: -np.mean(target * np.log(y) + (1 - target) * np.log(1 - y))}[loss]
    else:
        fy = lambda: losses.evaluate(loss, h, y, target, act).value  # noqa: E731
    np.testing.assert_allclose(got, numeric(fy, y), rtol=1e-5, atol=1e-9)


def test_loss_values_follow_the_documented_formulas():
    rng = np.random.default_rng(3)
    h = rng.normal(size=(5, 3))
    t = rng.normal(size=(5, 3))
    ident, soft, sig = (activations.get(n) for n in ("identity", "softmax", "sigmoid"))
    assert losses.evaluate("mse", h, h, t, ident).value == pytest.approx(np.mean((h - t) ** 2))
    assert losses.evaluate("random_projection", h, h, t, ident).value == pytest.approx(np.sum(h * t))
    labels = np.array([0, 2, 1, 1, 0])
    p = soft.fn(h)
    assert losses.evaluate("cross_entropy", h, p, labels, soft).value == \
        pytest.approx(-np.mean(np.log(p[np.arange(5), labels])))
    bits = (t > 0).astype(float)
    s = sig.fn(h)
    assert losses.evaluate("binary_cross_entropy", h, s, bits, sig).value == \
        pytest.approx(-np.mean(bits * np.log(s) + (1 - bits) * np.log(1 - s)))


def test_cross_entropy_is_stable_for_huge_logits():
    h = np.array([[1e4, -1e4, 0.0]], dtype=np.float32)
    soft = activations.get("softmax")
    g = losses.evaluate("cross_entropy", h, soft.fn(h), np.array([1]), soft)
    assert g.value == pytest.approx(2e4) and np.all(np.isfinite(g.dh))


@pytest.mark.parametrize("loss, shape, values", [
    ("mse", (6, 4), None), ("random_projection", (6, 4), None),
    ("cross_entropy", (6,), set(range(4))), ("binary_cross_entropy", (6, 4), {0.0, 1.0}),
])
def test_targets(loss, shape, values):
    t = losses.targets(loss, np.random.default_rng(0), 6, 4, np.dtype("float32"))
    assert t.shape == shape
    if values is not None:
        assert set(np.unique(t).tolist()) <= values
    else:
        assert t.dtype == np.float32


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_a_spec_pairs_each_loss_with_its_output(name):
    """The spec accepts every registered loss and fills in the output activation it is fused with."""
    from actinit_cli.run import spec

    s = spec.parse(f"loss: {name}\nmodel: {{depth: 2, width: 4}}\n")
    assert s["model.output_activation"] == (losses.LOSSES[name].output or "identity")
