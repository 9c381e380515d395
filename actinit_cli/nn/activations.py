"""Activation functions, each a value/derivative pair defined together.

`fn(x)` is the activation and `grad(x, y)` its elementwise derivative phi'(x), given y = fn(x) so a
rule can reuse the output. Derivatives at kinks follow PyTorch and TensorFlow (the majority
convention; the per-library table is docs/reference-numbers.md section D): relu'(0) = 0,
leaky_relu'(0) = slope, relu6'(0) = relu6'(6) = 0, hard_sigmoid'(+-3) = 0, hard_tanh'(+-1) = 0,
elu'(0) = alpha, selu'(0) = lambda * alpha (PyTorch and JAX; TensorFlow uses lambda). Everything keeps
the input's dtype.
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


@dataclass(frozen=True, kw_only=True)
class Activation:
    """One activation: `fn`, its derivative `grad(x, y)` (None when not elementwise), and facts about it.

    saturation: (lo, hi) such that an output y <= lo or y >= hi counts as saturated (None: never).
    kinks: inputs where phi or phi' is not smooth (theory splits its integrals there).
    family: the initializer family the textbooks pair it with (glorot, he, lecun).
    torch_gain: `torch.nn.init.calculate_gain` for it (None where PyTorch has none).
    dies: an input region gives output exactly 0 and derivative 0 (dead units).
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
    torch_gain: float | None = None
    output_only: bool = False
    dies: bool = False

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
    """tanh'(x) = sech(x)^2 = (1 / cosh x)^2: relative precision everywhere (1 - tanh^2 cancels for |x| > 4).
    Inverted before it is squared, so nothing overflows early: cosh^2 would be inf in float32 from |x| = 44.4,
    where sech^2 is still a normal float; cosh itself overflows only where sech^2 is below the smallest
    subnormal (|x| > 89 in float32, > 710 in float64), and 1 / inf is the 0 it rounds to. Three passes over
    x, against seven for 4 e / (1 + e)^2 with e = e^-2|x| (0.43 against 0.77 ms for 2^20 float32 values)."""
    with np.errstate(over="ignore"):
        s = np.cosh(x)
    s = np.divide(1, s, out=s) if isinstance(s, np.ndarray) else 1 / s
    return np.multiply(s, s, out=s) if isinstance(s, np.ndarray) else s * s


def softplus_fn(x: Array) -> Array:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|); never overflows."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def identity() -> Activation:
    """y = x: the linear network of Saxe et al. 2014 (arXiv:1312.6120), and the regression output."""
    return Activation(name="identity", fn=lambda x: x, grad=lambda x, y: np.ones_like(x), formula="x",
                      torch_gain=1.0)


def sigmoid() -> Activation:
    """The logistic function; Glorot & Bengio 2010 (AISTATS, sec. 3.1) show it saturating deep nets."""
    return Activation(name="sigmoid", fn=_sigmoid, grad=lambda x, y: _sigmoid_grad(x), formula="1 / (1 + e^-x)",
                      saturation=(0.01, 0.99), torch_gain=1.0)


def tanh() -> Activation:
    """tanh, the activation of Glorot & Bengio 2010's normalized-init analysis (their eqs. 12, 16)."""
    return Activation(name="tanh", fn=np.tanh, grad=lambda x, y: _sech2(x), formula="tanh(x)",
                      saturation=(-0.99, 0.99), torch_gain=5 / 3)


def relu() -> Activation:
    """max(x, 0) (Nair & Hinton 2010); He et al. 2015 (arXiv:1502.01852) derive its init."""
    return Activation(name="relu", fn=lambda x: np.maximum(x, 0), grad=lambda x, y: _where(x > 0, 1, 0, x),
                      formula="max(x, 0)", kink_rule="relu'(0) = 0", family="he", kinks=(0.0,),
                      torch_gain=math.sqrt(2.0), dies=True)


def leaky_relu(negative_slope: float = 0.01) -> Activation:
    """x for x > 0, slope * x otherwise (Maas et al. 2013). Default slope 0.01 as PyTorch and JAX; Keras 3
    uses 0.2 (keras.activations) or 0.3 (keras.layers.LeakyReLU). He et al. 2015 eq. 15 gives its init."""
    a = negative_slope
    return Activation(name="leaky_relu", fn=lambda x: np.where(x > 0, x, a * x),
                      grad=lambda x, y: _where(x > 0, 1, a, x), formula="x if x > 0 else negative_slope * x",
                      kink_rule="leaky'(0) = negative_slope", family="he", kinks=(0.0,),
                      params={"negative_slope": a}, torch_gain=math.sqrt(2.0 / (1 + a * a)))


def elu(alpha: float = 1.0) -> Activation:
    """Clevert et al. 2016 (arXiv:1511.07289): x for x > 0, alpha (e^x - 1) otherwise."""
    def fn(x: Array) -> Array:
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    return Activation(name="elu", fn=fn,
                      grad=lambda x, y: np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype),
                      formula="x if x > 0 else alpha (e^x - 1)", kink_rule="elu'(0) = alpha", family="he",
                      saturation=(-0.99 * alpha, None), kinks=(0.0,), params={"alpha": alpha})


def selu() -> Activation:
    """Klambauer et al. 2017 (arXiv:1706.02515): lambda * elu_alpha with the self-normalising constants."""
    la = SELU_LAMBDA * SELU_ALPHA

    def fn(x: Array) -> Array:
        return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    return Activation(name="selu", fn=fn,
                      grad=lambda x, y: np.where(x > 0, SELU_LAMBDA, la * np.exp(np.minimum(x, 0))).astype(x.dtype),
                      formula="lambda (x if x > 0 else alpha (e^x - 1)), lambda 1.0507, alpha 1.6733",
                      kink_rule="selu'(0) = lambda alpha = 1.7581 (PyTorch, JAX; TensorFlow: lambda)",
                      family="lecun", saturation=(-0.99 * la, None), kinks=(0.0,), torch_gain=0.75)


def gelu(approximate: bool = False) -> Activation:
    """Hendrycks & Gimpel 2016 (arXiv:1606.08415): exact x Phi(x) (Keras `gelu`, PyTorch default) or
    their tanh approximation."""
    if not approximate:
        return Activation(name="gelu", fn=lambda x: x * norm_cdf(x), grad=lambda x, y: norm_cdf(x) + x * norm_pdf(x),
                          formula="x Phi(x)", family="he", params={"approximate": False})

    def inner(x: Array) -> Array:
        with np.errstate(over="ignore"):  # |x| > 1e13 in float32: u = +-inf, and the limits below take over
            return _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3)

    def grad(x: Array, y: Array) -> Array:
        """s (1 + 2 x sigmoid(-2u) u') with s = sigmoid(2u) = (1 + tanh u)/2 and sech^2 u = 4 s sigmoid(-2u):
        the tiny terms of the far negative tail keep their sign (a sech^2 that underflows alone flipped it),
        and the huge-|x| limits are 0 and 1, never 0 * inf = nan."""
        with np.errstate(over="ignore", invalid="ignore"):
            u = inner(x)
            s, s_neg = _sigmoid(2 * u), _sigmoid(-2 * u)
            t = 2 * x * s_neg * (_SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x))
            t = np.where(s_neg == 0, 0, t)  # x -> +inf: the correction vanishes
            return np.where(s == 0, 0, s * (1 + t)).astype(x.dtype)  # x -> -inf: the derivative underflows

    return Activation(name="gelu", fn=lambda x: x * _sigmoid(2 * inner(x)), grad=grad,
                      formula="x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", family="he",
                      params={"approximate": True})


def silu() -> Activation:
    """x sigmoid(x): SiLU (Elfwing et al. 2018, arXiv:1702.03118), Swish (Ramachandran et al. 2017)."""
    def grad(x: Array, y: Array) -> Array:  # sigmoid (1 + x sigmoid(-x)): 1 - sigmoid(x) would cancel for x >> 0
        return _sigmoid(x) * (1 + x * _sigmoid(-x))

    return Activation(name="silu", fn=lambda x: x * _sigmoid(x), grad=grad, formula="x sigmoid(x)", family="he")


def softplus() -> Activation:
    """log(1 + e^x), the smooth relu (Dugas et al. 2001; Glorot, Bordes & Bengio 2011)."""
    return Activation(name="softplus", fn=softplus_fn, grad=lambda x, y: _sigmoid(x), formula="log(1 + e^x)",
                      family="he")


def softsign() -> Activation:
    """x / (1 + |x|), compared with tanh by Glorot & Bengio 2010 (sec. 3.2); phi'' jumps at 0."""
    return Activation(name="softsign", fn=lambda x: x / (1 + np.abs(x)), grad=lambda x, y: 1 / (1 + np.abs(x)) ** 2,
                      formula="x / (1 + |x|)", saturation=(-0.99, 0.99), kinks=(0.0,))


def mish() -> Activation:
    """x tanh(softplus(x)) (Misra 2019, arXiv:1908.08681)."""
    def grad(x: Array, y: Array) -> Array:
        sp = softplus_fn(x)
        return np.tanh(sp) + x * _sech2(sp) * _sigmoid(x)

    return Activation(name="mish", fn=lambda x: x * np.tanh(softplus_fn(x)), grad=grad,
                      formula="x tanh(softplus(x))", family="he")


def hard_sigmoid() -> Activation:
    """Keras 3 / PyTorch hardsigmoid: relu6(x + 3) / 6 (Keras 2 used clip(0.2 x + 0.5, 0, 1)); a piecewise
    linear sigmoid (Courbariaux et al. 2015, arXiv:1511.00363)."""
    return Activation(name="hard_sigmoid", fn=lambda x: np.clip((x + 3) / 6, 0, 1),  # x/6 + 1/2 cancels near -3
                      grad=lambda x, y: _where((x > -3) & (x < 3), 1 / 6, 0, x), formula="relu6(x + 3) / 6",
                      kink_rule="hard_sigmoid'(+-3) = 0", saturation=(0.0, 1.0), kinks=(-3.0, 3.0), dies=True)


def hard_tanh() -> Activation:
    """clip(x, -1, 1) (Collobert 2004), PyTorch's Hardtanh."""
    return Activation(name="hard_tanh", fn=lambda x: np.clip(x, -1, 1),
                      grad=lambda x, y: _where((x > -1) & (x < 1), 1, 0, x), formula="clip(x, -1, 1)",
                      kink_rule="hard_tanh'(+-1) = 0 (PyTorch)", saturation=(-1.0, 1.0), kinks=(-1.0, 1.0))


def relu6() -> Activation:
    """min(max(x, 0), 6) (Krizhevsky 2010; MobileNet's activation)."""
    return Activation(name="relu6", fn=lambda x: np.clip(x, 0, 6), grad=lambda x, y: _where((x > 0) & (x < 6), 1, 0, x),
                      formula="min(max(x, 0), 6)", kink_rule="relu6'(0) = relu6'(6) = 0", family="he",
                      saturation=(None, 6.0), kinks=(0.0, 6.0), dies=True)


@dataclass(frozen=True, kw_only=True)
class _Softmax(Activation):
    def vjp(self, h: Array, y: Array, dy: Array) -> Array:
        """J^T dy = y * (dy - sum(dy * y)) per row: a Jacobian-vector product, never an n x n matrix."""
        return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))


def softmax() -> Activation:
    """exp(x_i) / sum_j exp(x_j) over the last axis (Bridle 1990): the multi-class output layer."""
    def fn(x: Array) -> Array:
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    return _Softmax(name="softmax", fn=fn, grad=None, formula="exp(x - max x) / sum exp(x - max x) over the last axis",
                    kink_rule="output layers only", output_only=True)


REGISTRY: Registry[Activation] = Registry("activation", [
    Entry("identity", identity),
    Entry("sigmoid", sigmoid),
    Entry("tanh", tanh),
    Entry("relu", relu),
    Entry("leaky_relu", leaky_relu, (Param("negative_slope", low=0.0),)),
    Entry("elu", elu, (Param("alpha", low=0.0, low_open=True),)),
    Entry("selu", selu),
    Entry("gelu", gelu, (Param("approximate"),)),
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
