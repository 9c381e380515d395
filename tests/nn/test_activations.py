"""Activations: values against independent reference formulas, derivatives against central finite
differences, kink conventions, dtype, and numerical stability at |x| = 1e4."""

import math

import numpy as np
import pytest
import scipy.special as sp

from actinit_cli.nn import activations as acts
from actinit_cli.nn.activations import SELU_ALPHA, SELU_LAMBDA
from tests.cases import ELEMENTWISE, IDS, VARIANTS

LA = SELU_LAMBDA * SELU_ALPHA

# Each written independently of the module (SciPy special functions where they exist).
REFERENCE = {
    "identity": lambda x: x,
    "sigmoid": sp.expit,
    "tanh": np.tanh,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1),
    "selu": lambda x: SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * (np.exp(np.minimum(x, 0)) - 1)),
    "gelu": lambda x: 0.5 * x * (1 + sp.erf(x / math.sqrt(2))),
    "silu": lambda x: x * sp.expit(x),
    "softplus": lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "mish": lambda x: x * np.tanh(np.logaddexp(x, 0)),
    "hard_sigmoid": lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "hard_tanh": lambda x: np.minimum(np.maximum(x, -1), 1),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
}


def test_every_elementwise_activation_has_a_reference():
    assert set(REFERENCE) == set(ELEMENTWISE)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_values_match_reference(name):
    x = np.concatenate([np.linspace(-12, 12, 4801), [0.0, -3.0, 3.0, 6.0, -1.0, 1.0]])
    np.testing.assert_allclose(acts.get(name).fn(x), REFERENCE[name](x), rtol=1e-13, atol=1e-15)


def test_gelu_tanh_approximation_formula():
    """x/2 (1 + tanh u) = x expit(2u): the published form where it is well conditioned, SciPy's stable
    expit in the negative tail (where 1 + tanh u cancels)."""
    x = np.linspace(-6, 6, 1201)
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    got = acts.get({"name": "gelu", "approximate": True}).fn(x)
    np.testing.assert_allclose(got, x * sp.expit(2 * u), rtol=1e-14, atol=1e-300)
    well = x > -2
    np.testing.assert_allclose(got[well], (0.5 * x * (1 + np.tanh(u)))[well], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(acts.get({"name": "gelu", "approximate": True}).fn(x), acts.get("gelu").fn(x),
                               atol=1e-3)


@pytest.mark.parametrize("act", VARIANTS, ids=IDS)
def test_derivative_matches_central_difference(act):
    x = np.linspace(-8, 8, 3203)
    x = x[np.all(np.abs(x[:, None] - np.array(act.kinks or (np.inf,))[None, :]) > 1e-4, axis=1)]
    eps = 1e-6
    numeric = (act.fn(x + eps) - act.fn(x - eps)) / (2 * eps)
    np.testing.assert_allclose(act.derivative(x), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ref, x, value", [
    ("relu", 0.0, 0.0),
    ({"name": "leaky_relu", "negative_slope": 0.2}, 0.0, 0.2),
    ("leaky_relu", 0.0, 0.01),
    ("relu6", 0.0, 0.0), ("relu6", 6.0, 0.0), ("relu6", 3.0, 1.0),
    ("hard_sigmoid", -3.0, 0.0), ("hard_sigmoid", 3.0, 0.0), ("hard_sigmoid", 0.0, 1 / 6),
    ("hard_tanh", -1.0, 0.0), ("hard_tanh", 1.0, 0.0),
    ("elu", 0.0, 1.0), ({"name": "elu", "alpha": 0.5}, 0.0, 0.5),
    ("selu", 0.0, LA),
    ("sigmoid", 0.0, 0.25), ("tanh", 0.0, 1.0), ("softplus", 0.0, 0.5), ("softsign", 0.0, 1.0),
    ("gelu", 0.0, 0.5), ({"name": "gelu", "approximate": True}, 0.0, 0.5), ("silu", 0.0, 0.5), ("mish", 0.0, 0.6),
])
def test_derivative_at_kinks_and_zero(ref, x, value):
    assert acts.get(ref).derivative(np.array([x]))[0] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("ref, x, value", [
    ("hard_sigmoid", 2.5, 0.9166666666666666),  # Keras 3; Keras 2's 0.2x+0.5 would give 1.0
    ("hard_sigmoid", 0.0, 0.5),
    ("selu", -50.0, -LA),
    ("softplus", 25.0, 25.0),
])
def test_edge_values(ref, x, value):
    assert acts.get(ref).fn(np.array([x]))[0] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("act", VARIANTS + [acts.get("softmax")], ids=IDS + ["softmax"])
def test_float32_in_float32_out_and_stable_at_1e4(act):
    x = np.array([[-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = act.fn(x)
        dh = act.vjp(x, y, np.ones_like(x))
    assert y.dtype == np.float32 and dh.dtype == np.float32
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dh))


def test_sigmoid_softplus_extremes():
    x = np.array([-1e4, 1e4], dtype=np.float32)
    np.testing.assert_array_equal(acts.get("sigmoid").fn(x), [0.0, 1.0])
    np.testing.assert_array_equal(acts.get("softplus").fn(x), [0.0, 1e4])


def test_softmax_rows_and_jacobian_vector_product():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(5, 7)) * 3
    dy = rng.normal(size=(5, 7))
    sm = acts.get("softmax")
    y = sm.fn(h)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(y, sp.softmax(h, axis=1), rtol=1e-14)
    for i in range(5):  # against the explicit Jacobian diag(s) - s s^T
        jac = np.diag(y[i]) - np.outer(y[i], y[i])
        np.testing.assert_allclose(sm.vjp(h[i:i + 1], y[i:i + 1], dy[i:i + 1])[0], jac.T @ dy[i], atol=1e-14)
    eps = 1e-6  # and against finite differences of sum(dy * softmax(h))
    numeric = np.zeros_like(h)
    for idx in np.ndindex(h.shape):
        e = np.zeros_like(h)
        e[idx] = eps
        numeric[idx] = (np.sum(dy * sm.fn(h + e)) - np.sum(dy * sm.fn(h - e))) / (2 * eps)
    np.testing.assert_allclose(sm.vjp(h, y, dy), numeric, atol=1e-8)
    assert sm.output_only and sm.grad is None


def test_softmax_extreme_logits():
    h = np.array([[1e4, -1e4, 0.0]], dtype=np.float32)
    y = acts.get("softmax").fn(h)
    np.testing.assert_array_equal(y, [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("name", acts.REGISTRY.names())
def test_family_names_a_textbook_initializer_that_exists(name):
    """Each activation's textbook family (the notes' pairing, which recommendations compare against) is one
    the recommender knows and whose '<family>_normal' initializer is registered, so a verdict can run."""
    from actinit_cli.nn import initializers
    from actinit_cli.sweep import recommend

    family = acts.get(name).family
    assert family in recommend.TEXTBOOK and f"{family}_normal" in initializers.REGISTRY.entries


@pytest.mark.parametrize("alias, name", [("linear", "identity"), ("swish", "silu")])
def test_aliases(alias, name):
    assert acts.get(alias).name == name


@pytest.mark.parametrize("act", VARIANTS, ids=IDS)
def test_float32_derivative_keeps_relative_precision_in_the_tails(act):
    """phi'(x) in float32 against the float64 derivative. In the tails (|x| >= 4) phi' is a product of
    small factors and must keep relative precision wherever float32 represents it (sigmoid'(17) = 4e-8
    must not become 0 because y rounds to 1, nor tanh'(9) double). Near 0 it sums O(1) terms, so float32
    leaves an absolute error of a few ulps of 1 (silu' crosses 0 at x = -1.28, where no relative bound holds)."""
    x64 = np.linspace(-30, 30, 6001)
    x64 = x64[np.all(np.abs(x64[:, None] - np.array(act.kinks or (np.inf,))[None, :]) > 1e-3, axis=1)]
    x64 = x64.astype(np.float32).astype(np.float64)  # compare at inputs float32 represents exactly
    want = act.derivative(x64)
    got = act.derivative(x64.astype(np.float32)).astype(np.float64)
    tails = (np.abs(x64) >= 4) & (np.abs(want) > 1e-30)  # float32 normals (subnormals lose digits)
    np.testing.assert_allclose(got[tails], want[tails], rtol=2e-5)
    core = np.abs(x64) < 4
    np.testing.assert_allclose(got[core], want[core], rtol=2e-5, atol=5e-7)
