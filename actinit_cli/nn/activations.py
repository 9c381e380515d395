"""Activation functions, each a value/derivative pair defined together.

`fn(x)` is the activation and `grad(x, y)` its elementwise derivative phi'(x), given y = fn(x) so a
rule can reuse the output. Derivatives at kinks follow PyTorch and TensorFlow (majority convention,
../shared/reference/initializers.md section d): relu'(0) = 0, leaky_relu'(0) = slope,
relu6'(0) = relu6'(6) = 0, hard_sigmoid'(+-3) = 0, hard_tanh'(+-1) = 0, elu'(0) = alpha,
selu'(0) = lambda * alpha (PyTorch and JAX; TensorFlow uses lambda). Everything keeps the input's dtype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.nn.registry import Entry, Param, Registry
from actinit_cli.nn.special import norm_cdf, norm_pdf

Array = np.ndarray

# Klambauer et al. 2017 (arXiv:1706.02515): the fixed point (mean 0, variance 1) constants.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715  # Hendrycks & Gimpel 2016, the tanh approximation's cubic coefficient


@dataclass(frozen=True)
class Activation:
    """One activation: `fn`, its derivative `grad(x, y)` (None when not elementwise), and facts about it.

    saturation: (lo, hi) such that an output y <= lo or y >= hi counts as saturated (None: never).
    kinks: inputs where phi or phi' is not smooth (theory splits its integrals there).
    family: the initializer family the textbooks pair it with (glorot, he, lecun).
    """

    name: str
    fn: Callable[[Array], Array]
    grad: Callable[[Array, Array], Array] | None
    formula: str
    kink_rule: str = ""
    family: str = "glorot"
    saturation: tuple[float | None, float | None] | None = None
    kinks: tuple[float, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    output_only: bool = False
    dies: bool = False  # has an input region where the output is exactly 0 and the derivative 0 (dead units)

    def derivative(self, x: Array) -> Array:
        """phi'(x), elementwise."""
        return self.grad(x, self.fn(x))

    def vjp(self, h: Array, y: Array, dy: Array) -> Array:
        """dL/dh from dL/dy: phi'(h) * dy elementwise; softmax overrides this with its Jacobian product."""
        g = self.grad(h, y)  # a fresh array: multiply into it rather than allocate another
        if g.dtype == dy.dtype and g.shape == dy.shape:
            return np.multiply(g, dy, out=g)
        return g * dy


def _where(cond: Array, a: float, b: float, like: Array) -> Array:
    """np.where with scalar branches, in `like`'s dtype (np.where(c, 1, 0.5) would be float64)."""
    t = like.dtype.type
    return np.where(cond, t(a), t(b))


def _sigmoid(x: Array) -> Array:
    """1 / (1 + e^-x) without overflow: both branches only ever see e^-|x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def _sigmoid_grad(x: Array) -> Array:
    """sigmoid'(x) = e^-|x| / (1 + e^-|x|)^2: exact relative precision in both tails (y (1 - y) is 0 in
    float32 once y rounds to 1, from x = 17)."""
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def _sech2(x: Array) -> Array:
    """tanh'(x) = sech(x)^2 = 1 / cosh(x)^2: relative precision everywhere, where 1 - tanh^2 cancels for
    |x| > 4; cosh overflows to inf (so sech^2 to 0) only where sech^2 is below the smallest float."""
    with np.errstate(over="ignore"):
        c = np.cosh(x)
        c *= c
    return np.reciprocal(c, out=c)


def softplus_fn(x: Array) -> Array:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|); never overflows."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def identity() -> Activation:
    return Activation("identity", lambda x: x, lambda x, y: np.ones_like(x), "x", "", "glorot")


def sigmoid() -> Activation:
    return Activation("sigmoid", _sigmoid, lambda x, y: _sigmoid_grad(x), "1 / (1 + e^-x)", "", "glorot", (0.01, 0.99))


def tanh() -> Activation:
    return Activation("tanh", np.tanh, lambda x, y: _sech2(x), "tanh(x)", "", "glorot", (-0.99, 0.99))


def relu() -> Activation:
    return Activation("relu", lambda x: np.maximum(x, 0), lambda x, y: _where(x > 0, 1, 0, x),
                      "max(x, 0)", "relu'(0) = 0", "he", kinks=(0.0,), dies=True)


def leaky_relu(negative_slope: float = 0.01) -> Activation:
    """x for x > 0, slope * x otherwise. Default slope 0.01 as PyTorch and JAX; Keras 3 uses 0.2
    (keras.activations) or 0.3 (keras.layers.LeakyReLU)."""
    a = negative_slope
    return Activation("leaky_relu", lambda x: np.where(x > 0, x, a * x), lambda x, y: _where(x > 0, 1, a, x),
                      "x if x > 0 else negative_slope * x", "leaky'(0) = negative_slope", "he",
                      kinks=(0.0,), params={"negative_slope": a})


def elu(alpha: float = 1.0) -> Activation:
    def fn(x: Array) -> Array:
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    return Activation("elu", fn, lambda x, y: np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype),
                      "x if x > 0 else alpha (e^x - 1)", "elu'(0) = alpha", "he",
                      (-0.99 * alpha, None), (0.0,), {"alpha": alpha})


def selu() -> Activation:
    la = SELU_LAMBDA * SELU_ALPHA

    def fn(x: Array) -> Array:
        return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    return Activation("selu", fn, lambda x, y: np.where(x > 0, SELU_LAMBDA, la * np.exp(np.minimum(x, 0))).astype(x.dtype),
                      "lambda (x if x > 0 else alpha (e^x - 1)), lambda 1.0507, alpha 1.6733",
                      "selu'(0) = lambda alpha = 1.7581 (PyTorch, JAX; TensorFlow: lambda)", "lecun",
                      (-0.99 * la, None), (0.0,))


def gelu(approximate: bool = False) -> Activation:
    """Exact x Phi(x) (Keras `keras.activations.gelu`, PyTorch default) or the tanh approximation."""
    if not approximate:
        return Activation("gelu", lambda x: x * norm_cdf(x), lambda x, y: norm_cdf(x) + x * norm_pdf(x),
                          "x Phi(x)", "", "he", params={"approximate": False})

    def inner(x: Array) -> Array:
        return _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3)

    def grad(x: Array, y: Array) -> Array:  # (1 + tanh u)/2 = sigmoid(2u), 1 - tanh^2 u = sech^2 u: no cancellation
        u = inner(x)
        return _sigmoid(2 * u) + 0.5 * x * _sech2(u) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)

    return Activation("gelu", lambda x: x * _sigmoid(2 * inner(x)), grad,
                      "x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", "", "he", params={"approximate": True})


def silu() -> Activation:
    def grad(x: Array, y: Array) -> Array:  # sigmoid (1 + x sigmoid(-x)): 1 - sigmoid(x) would cancel for x >> 0
        return _sigmoid(x) * (1 + x * _sigmoid(-x))

    return Activation("silu", lambda x: x * _sigmoid(x), grad, "x sigmoid(x)", "", "he")


def softplus() -> Activation:
    return Activation("softplus", softplus_fn, lambda x, y: _sigmoid(x), "log(1 + e^x)", "", "he")


def softsign() -> Activation:
    return Activation("softsign", lambda x: x / (1 + np.abs(x)), lambda x, y: 1 / (1 + np.abs(x)) ** 2,
                      "x / (1 + |x|)", "", "glorot", (-0.99, 0.99), (0.0,))  # phi'' jumps at 0


def mish() -> Activation:
    def grad(x: Array, y: Array) -> Array:
        sp = softplus_fn(x)
        return np.tanh(sp) + x * _sech2(sp) * _sigmoid(x)

    return Activation("mish", lambda x: x * np.tanh(softplus_fn(x)), grad, "x tanh(softplus(x))", "", "he")


def hard_sigmoid() -> Activation:
    """Keras 3 / PyTorch hardsigmoid: relu6(x + 3) / 6 (Keras 2 used clip(0.2 x + 0.5, 0, 1))."""
    return Activation("hard_sigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1),
                      lambda x, y: _where((x > -3) & (x < 3), 1 / 6, 0, x),
                      "relu6(x + 3) / 6", "hard_sigmoid'(+-3) = 0", "glorot", (0.0, 1.0), (-3.0, 3.0),
                      dies=True)


def hard_tanh() -> Activation:
    return Activation("hard_tanh", lambda x: np.clip(x, -1, 1), lambda x, y: _where((x > -1) & (x < 1), 1, 0, x),
                      "clip(x, -1, 1)", "hard_tanh'(+-1) = 0 (PyTorch)", "glorot", (-1.0, 1.0), (-1.0, 1.0))


def relu6() -> Activation:
    return Activation("relu6", lambda x: np.clip(x, 0, 6), lambda x, y: _where((x > 0) & (x < 6), 1, 0, x),
                      "min(max(x, 0), 6)", "relu6'(0) = relu6'(6) = 0", "he", (None, 6.0), (0.0, 6.0),
                      dies=True)


@dataclass(frozen=True)
class _Softmax(Activation):
    def vjp(self, h: Array, y: Array, dy: Array) -> Array:
        """J^T dy = y * (dy - sum(dy * y)) per row: a Jacobian-vector product, never an n x n matrix."""
        return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))


def softmax() -> Activation:
    def fn(x: Array) -> Array:
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    return _Softmax("softmax", fn, None, "exp(x - max x) / sum exp(x - max x) over the last axis",
                    "output layers only", "glorot", output_only=True)


REGISTRY: Registry[Activation] = Registry("activation", [
    Entry("identity", identity),
    Entry("sigmoid", sigmoid),
    Entry("tanh", tanh),
    Entry("relu", relu),
    Entry("leaky_relu", leaky_relu, (Param("negative_slope", 0.01, low=0.0),)),
    Entry("elu", elu, (Param("alpha", 1.0, low=0.0, low_open=True),)),
    Entry("selu", selu),
    Entry("gelu", gelu, (Param("approximate", False, bool),)),
    Entry("silu", silu),
    Entry("softplus", softplus),
    Entry("softsign", softsign),
    Entry("mish", mish),
    Entry("hard_sigmoid", hard_sigmoid),
    Entry("hard_tanh", hard_tanh),
    Entry("relu6", relu6),
    Entry("softmax", softmax),
], aliases={"linear": "identity", "swish": "silu"})

get = REGISTRY.get
