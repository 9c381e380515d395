"""Weight initializers with Keras 3 semantics, as pure functions of (rng, shape, dtype).

Every scaled scheme is a one-line specialisation of `variance_scaling(scale, mode, distribution)`
(Keras 3 `keras/src/initializers/random_initializers.py`; JAX `jax.nn.initializers`). The formulas and
the libraries' differences are tabulated in docs/reference-numbers.md section A.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn import distributions as dist
from actinit_cli.nn.distributions import TRUNC_STD, Expected, Initializer, Sampler
from actinit_cli.nn.registry import Entry, Param, Registry
from actinit_cli.nn.shapes import compute_fans, fan_for

# --- the variance-scaling core and its named specialisations --------------------------------------

def variance_scaling(scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal") -> Initializer:
    """Samples with std sqrt(scale / n), n the fan `mode` picks (Keras 3 `VarianceScaling`; He et al.
    2015, arXiv:1502.01852, eq. 10 is scale 2 with fan_in).

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

    makers = {"uniform": lambda p: dist.uniform(-p, p), "untruncated_normal": lambda p: dist.normal(0.0, p),
              "truncated_normal": lambda p: dist.truncated(0.0, p)}

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return makers[distribution](parts(shape)[0])(rng, shape, dtype)

    params = {"scale": scale, "mode": mode, "distribution": distribution}
    return Initializer("variance_scaling", sample, lambda shape: parts(shape)[1], params)


def _named(name: str, scale: float, mode: str, distribution: str) -> Initializer:
    """A named scheme: variance_scaling under its own name."""
    return dataclasses.replace(variance_scaling(scale, mode, distribution), name=name)


def glorot_normal(distribution: str = "truncated_normal") -> Initializer:
    """Truncated normal, std sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010, eq. 12)."""
    return _named("glorot_normal", 1.0, "fan_avg", distribution)


def glorot_uniform() -> Initializer:
    """U[-L, L], L = sqrt(6 / (fan_in + fan_out)): Glorot & Bengio 2010's "normalized" init (eq. 16)."""
    return _named("glorot_uniform", 1.0, "fan_avg", "uniform")


def he_normal(distribution: str = "truncated_normal") -> Initializer:
    """Truncated normal, std sqrt(2 / fan_in) (He et al. 2015, arXiv:1502.01852, eq. 10)."""
    return _named("he_normal", 2.0, "fan_in", distribution)


def he_uniform() -> Initializer:
    """U[-L, L], L = sqrt(6 / fan_in): He et al. 2015's variance with a uniform distribution."""
    return _named("he_uniform", 2.0, "fan_in", "uniform")


def lecun_normal(distribution: str = "truncated_normal") -> Initializer:
    """Truncated normal, std sqrt(1 / fan_in): LeCun 1998, the SELU pairing (Klambauer et al. 2017)."""
    return _named("lecun_normal", 1.0, "fan_in", distribution)


def lecun_uniform() -> Initializer:
    """U[-L, L], L = sqrt(3 / fan_in): LeCun's variance with a uniform distribution."""
    return _named("lecun_uniform", 1.0, "fan_in", "uniform")


def standard() -> Initializer:
    """Glorot & Bengio's "standard" U[-1/sqrt(fan_in), 1/sqrt(fan_in)], Var = 1/(3 fan_in) (their eq. 1).

    Also PyTorch's nn.Linear default (kaiming_uniform_ with a = sqrt(5)); the same as
    variance_scaling(scale=1/3, mode=fan_in, distribution=uniform).
    """
    return _named("standard", 1.0 / 3.0, "fan_in", "uniform")


# --- fixed-distribution initializers -------------------------------------------------------------

def _fixed(name: str, sampler: Sampler, expected: Callable[[float, float], Expected], **params: Any) -> Initializer:
    return Initializer(name, sampler, lambda shape: expected(*compute_fans(shape)), params)


def random_normal(mean: float = 0.0, stddev: float = 0.05) -> Initializer:
    """N(mean, stddev^2) (Keras 3 `RandomNormal`)."""
    return _fixed("random_normal", dist.normal(mean, stddev),
                  lambda fi, fo: Expected(fi, fo, mean, stddev), mean=mean, stddev=stddev)


def random(stddev: float = 0.01) -> Initializer:
    """The notes' "random" initialization: small Gaussian N(0, stddev^2), 0.01 by default (cs231n)."""
    return _fixed("random", dist.normal(0.0, stddev), lambda fi, fo: Expected(fi, fo, 0.0, stddev), stddev=stddev)


def random_uniform(minval: float = -0.05, maxval: float = 0.05) -> Initializer:
    """U[minval, maxval) (Keras 3 `RandomUniform`); std (maxval - minval) / sqrt(12)."""
    std = (maxval / 2 - minval / 2) / math.sqrt(3.0)  # = (maxval - minval) / sqrt(12), without overflow
    return _fixed("random_uniform", dist.uniform(minval, maxval),
                  lambda fi, fo: Expected(fi, fo, minval / 2 + maxval / 2, std, minval, maxval, "uniform"),
                  minval=minval, maxval=maxval)


def truncated_normal(mean: float = 0.0, stddev: float = 0.05) -> Initializer:
    """N(mean, stddev^2) cut at mean +- 2 stddev, NOT variance-corrected: the samples' std is
    0.8796 * stddev (Keras 3 `TruncatedNormal`)."""
    return _fixed("truncated_normal", dist.truncated(mean, stddev),
                  lambda fi, fo: Expected(fi, fo, mean, TRUNC_STD * stddev, mean - 2 * stddev, mean + 2 * stddev,
                                          "truncated_normal", stddev), mean=mean, stddev=stddev)


def constant(value: float = 0.0) -> Initializer:
    """Every entry equal to `value` (Keras 3 `Constant`)."""
    return _fixed("constant", dist.constant(value),
                  lambda fi, fo: Expected(fi, fo, value, 0.0, value, value, "deterministic"), value=value)


def zeros() -> Initializer:
    """All zeros: the default bias initializer."""
    return _fixed("zeros", dist.constant(0.0), lambda fi, fo: Expected(fi, fo, 0.0, 0.0, 0.0, 0.0, "deterministic"))


def ones() -> Initializer:
    """All ones."""
    return _fixed("ones", dist.constant(1.0), lambda fi, fo: Expected(fi, fo, 1.0, 0.0, 1.0, 1.0, "deterministic"))


def orthogonal(gain: float = 1.0) -> Initializer:
    """gain * Q, Q with orthonormal columns (rows >= cols) or rows, from the QR of a Gaussian matrix
    with Q's columns multiplied by sign(diag R) so Q is Haar-distributed (Saxe et al. 2014,
    arXiv:1312.6120; Keras 3 `Orthogonal`).

    The tensor is flattened to (prod(shape[:-1]), shape[-1]); every entry's mean square is
    gain^2 / max(rows, cols) exactly.
    """

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        rows, cols = dist.flat_2d(shape, "orthogonal")
        a = rng.normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q.T if rows < cols else q
        return (gain * q).reshape(shape).astype(dtype)

    def expect(shape: tuple) -> Expected:
        rows, cols = dist.flat_2d(shape, "orthogonal")
        fi, fo = compute_fans(shape)
        return Expected(fi, fo, 0.0, gain / math.sqrt(max(rows, cols)), -gain, gain, "orthogonal")

    return Initializer("orthogonal", sample, expect, {"gain": gain})


def identity(gain: float = 1.0) -> Initializer:
    """gain * eye(rows, cols) for a rank-2 shape (Keras 3 `Identity`, non-square allowed; Le, Jaitly & Hinton
    2015, arXiv:1504.00941, initialise recurrent ReLU nets so)."""

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


LSUV_BASES = ("orthogonal", "glorot_normal", "glorot_uniform", "lecun_normal", "he_normal", "standard")


def lsuv(base: str = "orthogonal", tol: float = 0.1, max_iter: int = 10) -> Initializer:
    """LSUV (Mishkin & Matas 2016, arXiv:1511.06422): `base` weights rescaled layer by layer until each layer's
    pre-activations have variance 1 within `tol` (at most `max_iter` rescalings) on the run's first batch.
    It needs data, so only `actinit run` resolves it (nn/lsuv.py); sampling it alone is refused."""

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        raise ActinitError("lsuv: needs a batch of data (it rescales each layer on the run's first input batch), so "
                           "it cannot be sampled alone; use it as model.initializer in a spec, or sample its base "
                           f"({base})")

    def expect(shape: tuple) -> Expected:
        fi, fo = compute_fans(shape)
        return Expected(fi, fo, 0.0, math.nan, family=DATA_FAMILY)

    return Initializer("lsuv", sample, expect, {"base": base, "tol": tol, "max_iter": max_iter})


DATA_FAMILY = "data-dependent"  # Expected.family of an initializer whose scale is set on data (std NaN)


# --- the registry --------------------------------------------------------------------------------

_TRUNC = ("truncated_normal", "untruncated_normal", "normal")  # normal = truncated_normal, as in Keras
_DIST = Param("distribution", _TRUNC, doc="untruncated_normal gives PyTorch's *_normal_ (untruncated)")
_POSITIVE = {"low": 0.0, "low_open": True}


def _min_below_max(p: Mapping[str, Any]) -> str | None:
    return None if p["minval"] < p["maxval"] else f"minval ({p['minval']}) must be < maxval ({p['maxval']})"


REGISTRY: Registry[Initializer] = Registry("initializer", [
    Entry("zeros", zeros, formula="0", pairing="biases"),
    Entry("ones", ones, formula="1"),
    Entry("constant", constant, (Param("value"),), formula="value"),
    Entry("random_normal", random_normal, (Param("mean"), Param("stddev", low=0.0)),
          formula="N(mean, stddev^2)"),
    Entry("random_uniform", random_uniform, (Param("minval"), Param("maxval")), _min_below_max,
          formula="U[minval, maxval)"),
    Entry("truncated_normal", truncated_normal, (Param("mean"), Param("stddev", **_POSITIVE)),
          formula="N(mean, stddev^2) cut at +-2 stddev; std 0.8796*stddev (no correction)"),
    Entry("variance_scaling", variance_scaling, (
        Param("scale", **_POSITIVE), Param("mode", ("fan_in", "fan_out", "fan_avg")),
        Param("distribution", ("truncated_normal", "untruncated_normal", "uniform", "normal"),
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
    Entry("orthogonal", orthogonal, (Param("gain", **_POSITIVE),), pairing="deep linear / tanh",
          formula="gain * Q, Q orthonormal (QR of a Gaussian, sign-fixed)"),
    Entry("identity", identity, (Param("gain"),), formula="gain * eye(rows, cols)"),
    Entry("random", random, (Param("stddev", low=0.0),),
          formula="N(0, stddev^2), stddev 0.01: the notes' 'random' init (signal collapses)"),
    Entry("lsuv", lsuv, (Param("base", LSUV_BASES, kind=str), Param("tol", **_POSITIVE),
                         Param("max_iter", low=1, high=1000, kind=int)), pairing="any (data-driven)",
          formula="base weights, then W^l / sqrt(Var h^l) on the first batch, layer by layer, until |Var h^l - 1| < tol"),
    Entry("standard", standard,
          formula="U[+-1/sqrt(fan_in)], Var 1/(3 fan_in): Glorot's 'standard', PyTorch nn.Linear default"),
], aliases={
    "xavier_normal": "glorot_normal", "xavier_uniform": "glorot_uniform",
    "kaiming_normal": "he_normal", "kaiming_uniform": "he_uniform",
    "normal": "random_normal", "uniform": "random_uniform", "zero": "zeros", "one": "ones",
})

get = REGISTRY.get
