"""Weight initializers with Keras 3 semantics, as pure functions of (rng, shape, dtype).

Every scaled scheme is a one-line specialisation of `variance_scaling(scale, mode, distribution)`.
Facts: ../shared/reference/initializers.md sections (a) and (b); Keras 3
`keras/src/initializers/random_initializers.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import Entry, Param, Registry
from actinit_cli.nn.shapes import check_dtype, compute_fans, fan_for

# Standard deviation of N(0, 1) truncated to [-2, 2] (= scipy.stats.truncnorm.std(-2, 2)).
# Keras divides the truncated sampler's stddev by it so the samples' std is sqrt(scale / n)
# (keras-team/keras#8048, PR #9963).
TRUNC_STD = 0.87962566103423978

Sampler = Callable[[np.random.Generator, tuple, np.dtype], np.ndarray]


@dataclass(frozen=True)
class Expected:
    """What samples of an initializer should look like for one shape (the formula, not a sample)."""

    fan_in: float
    fan_out: float
    mean: float
    std: float
    low: float | None = None     # every sample >= low (None: unbounded)
    high: float | None = None    # every sample <= high
    family: str = "normal"       # normal | truncated_normal | uniform | orthogonal | deterministic
    sigma_p: float | None = None  # truncated families: the std before truncation


@dataclass(frozen=True)
class Initializer:
    """A named initializer with bound parameters: call it as ``init(rng, shape, dtype)``."""

    name: str
    sample: Sampler
    expect: Callable[[tuple], Expected]
    params: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, rng: np.random.Generator, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
        return self.sample(rng, tuple(int(s) for s in shape), check_dtype(dtype))

    def expected(self, shape: tuple[int, ...]) -> Expected:
        return self.expect(tuple(int(s) for s in shape))


# --- samplers: plain functions of an explicit generator ------------------------------------------

def _normal(mean: float, std: float) -> Sampler:
    return lambda rng, shape, dtype: rng.normal(mean, std, size=shape).astype(dtype)


def _uniform(low: float, high: float) -> Sampler:
    """U[low, high) drawn in float64 (Keras: min inclusive, max exclusive), then cast to `dtype`."""
    return lambda rng, shape, dtype: rng.uniform(low, high, size=shape).astype(dtype)


def _truncated(mean: float, sigma_p: float) -> Sampler:
    """N(mean, sigma_p^2) with every value outside [mean - 2 sigma_p, mean + 2 sigma_p] redrawn until it
    falls inside (closed interval, as Keras 3's NumPy backend). The samples' std is TRUNC_STD * sigma_p."""

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        z = rng.standard_normal(size=math.prod(shape))
        out = np.flatnonzero(np.abs(z) > 2.0)
        while out.size:  # 4.55 % of draws the first time, then 4.55 % of those, ...
            z[out] = rng.standard_normal(size=out.size)
            out = out[np.abs(z[out]) > 2.0]
        return (z * sigma_p + mean).astype(dtype).reshape(shape)

    return sample


def _constant(value: float) -> Sampler:
    return lambda rng, shape, dtype: np.full(shape, value, dtype=dtype)


def _flat_2d(shape: tuple, name: str) -> tuple[int, int]:
    if len(shape) < 2:
        raise ActinitError(f"{name}: needs a shape of rank >= 2 (rows = prod(shape[:-1]), cols = shape[-1]), "
                           f"got {shape}")
    return math.prod(shape[:-1]), shape[-1]


# --- the variance-scaling core and its named specialisations --------------------------------------

def variance_scaling(scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                     name: str = "variance_scaling") -> Initializer:
    """Samples with std sqrt(scale / n), n the fan `mode` picks (Keras 3 `VarianceScaling`).

    truncated_normal: N(0, sigma_p^2) cut at +-2 sigma_p with sigma_p = sqrt(scale/n) / 0.8796...;
    untruncated_normal: N(0, scale/n); uniform: U[-L, L) with L = sqrt(3 scale / n).
    Keras maps distribution "normal" to truncated_normal; the registry does the same.
    """
    distribution = "truncated_normal" if distribution == "normal" else distribution

    def parts(shape: tuple) -> tuple[float, Expected]:
        fan_in, fan_out = compute_fans(shape)
        std = math.sqrt(scale / fan_for(mode, shape))
        if distribution == "uniform":
            limit = math.sqrt(3.0) * std
            return limit, Expected(fan_in, fan_out, 0.0, std, -limit, limit, "uniform")
        if distribution == "untruncated_normal":
            return std, Expected(fan_in, fan_out, 0.0, std, family="normal")
        sigma_p = std / TRUNC_STD
        return sigma_p, Expected(fan_in, fan_out, 0.0, std, -2 * sigma_p, 2 * sigma_p, "truncated_normal", sigma_p)

    makers = {"uniform": lambda p: _uniform(-p, p), "untruncated_normal": lambda p: _normal(0.0, p),
              "truncated_normal": lambda p: _truncated(0.0, p)}

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return makers[distribution](parts(shape)[0])(rng, shape, dtype)

    params = {"scale": scale, "mode": mode, "distribution": distribution}
    return Initializer(name, sample, lambda shape: parts(shape)[1], params)


def glorot_normal(distribution: str = "truncated_normal") -> Initializer:
    """Truncated normal, std sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010, eq. 12)."""
    return variance_scaling(1.0, "fan_avg", distribution, "glorot_normal")


def glorot_uniform() -> Initializer:
    """U[-L, L], L = sqrt(6 / (fan_in + fan_out)): Glorot & Bengio 2010's "normalized" init (eq. 16)."""
    return variance_scaling(1.0, "fan_avg", "uniform", "glorot_uniform")


def he_normal(distribution: str = "truncated_normal") -> Initializer:
    """Truncated normal, std sqrt(2 / fan_in) (He et al. 2015, arXiv:1502.01852, eq. 10)."""
    return variance_scaling(2.0, "fan_in", distribution, "he_normal")


def he_uniform() -> Initializer:
    """U[-L, L], L = sqrt(6 / fan_in): He et al. 2015's variance with a uniform distribution."""
    return variance_scaling(2.0, "fan_in", "uniform", "he_uniform")


def lecun_normal(distribution: str = "truncated_normal") -> Initializer:
    """Truncated normal, std sqrt(1 / fan_in): LeCun 1998, the SELU pairing (Klambauer et al. 2017)."""
    return variance_scaling(1.0, "fan_in", distribution, "lecun_normal")


def lecun_uniform() -> Initializer:
    """U[-L, L], L = sqrt(3 / fan_in): LeCun's variance with a uniform distribution."""
    return variance_scaling(1.0, "fan_in", "uniform", "lecun_uniform")


def standard() -> Initializer:
    """Glorot & Bengio's "standard" U[-1/sqrt(fan_in), 1/sqrt(fan_in)], Var = 1/(3 fan_in) (their eq. 1).

    Also PyTorch's nn.Linear default (kaiming_uniform_ with a = sqrt(5)); the same as
    variance_scaling(scale=1/3, mode=fan_in, distribution=uniform).
    """
    return variance_scaling(1.0 / 3.0, "fan_in", "uniform", "standard")


# --- fixed-distribution initializers -------------------------------------------------------------

def _fixed(name: str, sampler: Sampler, expected: Callable[[float, float], Expected], **params: Any) -> Initializer:
    return Initializer(name, sampler, lambda shape: expected(*compute_fans(shape)), params)


def random_normal(mean: float = 0.0, stddev: float = 0.05) -> Initializer:
    """N(mean, stddev^2) (Keras 3 `RandomNormal`)."""
    return _fixed("random_normal", _normal(mean, stddev),
                  lambda fi, fo: Expected(fi, fo, mean, stddev), mean=mean, stddev=stddev)


def random(stddev: float = 0.01) -> Initializer:
    """The notes' "random" initialization: small Gaussian N(0, stddev^2), 0.01 by default (cs231n)."""
    return _fixed("random", _normal(0.0, stddev), lambda fi, fo: Expected(fi, fo, 0.0, stddev), stddev=stddev)


def random_uniform(minval: float = -0.05, maxval: float = 0.05) -> Initializer:
    """U[minval, maxval) (Keras 3 `RandomUniform`); std (maxval - minval) / sqrt(12)."""
    std = (maxval - minval) / math.sqrt(12.0)
    return _fixed("random_uniform", _uniform(minval, maxval),
                  lambda fi, fo: Expected(fi, fo, (minval + maxval) / 2, std, minval, maxval, "uniform"),
                  minval=minval, maxval=maxval)


def truncated_normal(mean: float = 0.0, stddev: float = 0.05) -> Initializer:
    """N(mean, stddev^2) cut at mean +- 2 stddev, NOT variance-corrected: the samples' std is
    0.8796 * stddev (Keras 3 `TruncatedNormal`)."""
    return _fixed("truncated_normal", _truncated(mean, stddev),
                  lambda fi, fo: Expected(fi, fo, mean, TRUNC_STD * stddev, mean - 2 * stddev, mean + 2 * stddev,
                                          "truncated_normal", stddev), mean=mean, stddev=stddev)


def constant(value: float = 0.0) -> Initializer:
    """Every entry equal to `value` (Keras 3 `Constant`)."""
    return _fixed("constant", _constant(value),
                  lambda fi, fo: Expected(fi, fo, value, 0.0, value, value, "deterministic"), value=value)


def zeros() -> Initializer:
    """All zeros: the default bias initializer."""
    return _fixed("zeros", _constant(0.0), lambda fi, fo: Expected(fi, fo, 0.0, 0.0, 0.0, 0.0, "deterministic"))


def ones() -> Initializer:
    """All ones."""
    return _fixed("ones", _constant(1.0), lambda fi, fo: Expected(fi, fo, 1.0, 0.0, 1.0, 1.0, "deterministic"))


def orthogonal(gain: float = 1.0) -> Initializer:
    """gain * Q, Q with orthonormal columns (rows >= cols) or rows, from the QR of a Gaussian matrix
    with Q's columns multiplied by sign(diag R) so Q is Haar-distributed (Saxe et al. 2013, Keras 3).

    The tensor is flattened to (prod(shape[:-1]), shape[-1]); every entry's mean square is
    gain^2 / max(rows, cols) exactly.
    """

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        rows, cols = _flat_2d(shape, "orthogonal")
        a = rng.normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q.T if rows < cols else q
        return (gain * q).reshape(shape).astype(dtype)

    def expect(shape: tuple) -> Expected:
        rows, cols = _flat_2d(shape, "orthogonal")
        fi, fo = compute_fans(shape)
        return Expected(fi, fo, 0.0, gain / math.sqrt(max(rows, cols)), -gain, gain, "orthogonal")

    return Initializer("orthogonal", sample, expect, {"gain": gain})


def identity(gain: float = 1.0) -> Initializer:
    """gain * eye(rows, cols) for a rank-2 shape (Keras 3 `Identity`; non-square allowed)."""

    def rows_cols(shape: tuple) -> tuple[int, int]:
        if len(shape) != 2:
            raise ActinitError(f"identity: needs a rank-2 shape (rows, cols), got {shape}")
        return shape

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return (gain * np.eye(*rows_cols(shape))).astype(dtype)

    def expect(shape: tuple) -> Expected:
        rows, cols = rows_cols(shape)
        share = min(rows, cols) / (rows * cols)  # fraction of entries on the diagonal
        mean = gain * share
        std = abs(gain) * math.sqrt(share - share**2)
        return Expected(rows, cols, mean, std, min(0.0, gain), max(0.0, gain), "deterministic")

    return Initializer("identity", sample, expect, {"gain": gain})


# --- the registry --------------------------------------------------------------------------------

_TRUNC = ("truncated_normal", "untruncated_normal", "normal")  # normal = truncated_normal, as in Keras
_DIST = Param("distribution", "truncated_normal", str, _TRUNC,
              doc="untruncated_normal gives PyTorch's *_normal_ (untruncated)")
_POSITIVE = {"low": 0.0, "low_open": True}


def _min_below_max(p: Mapping[str, Any]) -> str | None:
    return None if p["minval"] < p["maxval"] else f"minval ({p['minval']}) must be < maxval ({p['maxval']})"


REGISTRY: Registry[Initializer] = Registry("initializer", [
    Entry("zeros", zeros, formula="0", pairing="biases"),
    Entry("ones", ones, formula="1"),
    Entry("constant", constant, (Param("value", 0.0),), formula="value"),
    Entry("random_normal", random_normal, (Param("mean", 0.0), Param("stddev", 0.05, low=0.0)),
          formula="N(mean, stddev^2)"),
    Entry("random_uniform", random_uniform, (Param("minval", -0.05), Param("maxval", 0.05)), _min_below_max,
          formula="U[minval, maxval)"),
    Entry("truncated_normal", truncated_normal, (Param("mean", 0.0), Param("stddev", 0.05, **_POSITIVE)),
          formula="N(mean, stddev^2) cut at +-2 stddev; std 0.8796*stddev (no correction)"),
    Entry("variance_scaling", variance_scaling, (
        Param("scale", 1.0, **_POSITIVE), Param("mode", "fan_in", str, ("fan_in", "fan_out", "fan_avg")),
        Param("distribution", "truncated_normal", str, ("truncated_normal", "untruncated_normal", "uniform", "normal"),
              doc="normal means truncated_normal, as in Keras")),
          formula="std sqrt(scale/n), n = fan by mode; truncated: sigma_p = std/0.8796, cut +-2 sigma_p"),
    Entry("glorot_normal", glorot_normal, (_DIST,), pairing="tanh, sigmoid, softmax",
          formula="truncated, std sqrt(2/(fan_in+fan_out)); PyTorch xavier_normal_ is untruncated: "
                  "distribution: untruncated_normal"),
    Entry("glorot_uniform", glorot_uniform, formula="U[+-sqrt(6/(fan_in+fan_out))]", pairing="tanh, sigmoid, softmax"),
    Entry("he_normal", he_normal, (_DIST,), pairing="relu family",
          formula="truncated, std sqrt(2/fan_in); PyTorch kaiming_normal_ is untruncated: "
                  "distribution: untruncated_normal"),
    Entry("he_uniform", he_uniform, formula="U[+-sqrt(6/fan_in)]", pairing="relu family"),
    Entry("lecun_normal", lecun_normal, (_DIST,), pairing="selu",
          formula="truncated, std sqrt(1/fan_in); untruncated: distribution: untruncated_normal"),
    Entry("lecun_uniform", lecun_uniform, formula="U[+-sqrt(3/fan_in)]", pairing="selu"),
    Entry("orthogonal", orthogonal, (Param("gain", 1.0, **_POSITIVE),), pairing="deep linear / tanh",
          formula="gain * Q, Q orthonormal (QR of a Gaussian, sign-fixed)"),
    Entry("identity", identity, (Param("gain", 1.0),), formula="gain * eye(rows, cols)"),
    Entry("random", random, (Param("stddev", 0.01, low=0.0),),
          formula="N(0, stddev^2), stddev 0.01: the notes' 'random' init (signal collapses)"),
    Entry("standard", standard,
          formula="U[+-1/sqrt(fan_in)], Var 1/(3 fan_in): Glorot's 'standard', PyTorch nn.Linear default"),
], aliases={
    "xavier_normal": "glorot_normal", "xavier_uniform": "glorot_uniform",
    "kaiming_normal": "he_normal", "kaiming_uniform": "he_uniform",
    "normal": "random_normal", "uniform": "random_uniform", "zero": "zeros", "one": "ones",
})

get = REGISTRY.get
