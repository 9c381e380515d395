"""What initializers draw from, as plain functions of an explicit generator: normal, uniform, the
truncated normal with Keras's redraw rule, constants, and what a draw should look like (`Expected`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn.shapes import check_dtype

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
        with np.errstate(over="ignore"):  # values beyond the dtype's range become inf: counted downstream
            return self.sample(rng, tuple(int(s) for s in shape), check_dtype(dtype))

    def expected(self, shape: tuple[int, ...]) -> Expected:
        return self.expect(tuple(int(s) for s in shape))


def _fits(dtype: np.dtype, *values: float) -> bool:
    """Whether every value (a mean, a scale, a bound) is a finite number of `dtype`: then the draw can run in
    `dtype` itself (float32: half the memory traffic); otherwise it runs in float64 and is cast at the end."""
    big = float(np.finfo(dtype).max)
    return all(abs(v) <= big for v in values)


def _work(dtype: np.dtype, *values: float) -> np.dtype:
    return dtype if _fits(dtype, *values) else np.dtype(np.float64)


def normal(mean: float, std: float) -> Sampler:
    """N(mean, std^2), drawn directly in the run's dtype (NumPy's float32 ziggurat for float32)."""

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        work = _work(dtype, mean, std)
        z = rng.standard_normal(size=shape, dtype=work)
        z *= work.type(std)
        z += work.type(mean)
        return z.astype(dtype, copy=False)

    return sample


def uniform(low: float, high: float) -> Sampler:
    """U[low, high) (Keras: min inclusive, max exclusive) from NumPy's uniform [0, 1) in the run's dtype. A
    range wider than float64 (high - low = inf) is drawn as 2 U[low/2, high/2), the same distribution."""

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        half = not math.isfinite(high - low)
        lo, hi = (low / 2, high / 2) if half else (low, high)
        work = _work(dtype, lo, hi, hi - lo)
        u = rng.random(size=shape, dtype=work)
        u *= work.type(hi - lo)
        u += work.type(lo)
        np.minimum(u, np.nextafter(work.type(hi), work.type(lo)), out=u)  # rounding must not reach `high`
        if half:
            u *= 2
        return u.astype(dtype, copy=False)

    return sample


def truncated(mean: float, sigma_p: float) -> Sampler:
    """N(mean, sigma_p^2) with every value outside [mean - 2 sigma_p, mean + 2 sigma_p] redrawn until it
    falls inside (closed interval, as Keras 3's NumPy backend), in the run's dtype. The samples' std is
    TRUNC_STD * sigma_p."""

    def sample(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        work = _work(dtype, mean, 2 * sigma_p)
        z = rng.standard_normal(size=math.prod(shape), dtype=work)
        out = np.flatnonzero(np.abs(z) > 2)
        while out.size:  # 4.55 % of draws the first time, then 4.55 % of those, ...
            z[out] = rng.standard_normal(size=out.size, dtype=work)
            out = out[np.abs(z[out]) > 2]
        z *= work.type(sigma_p)
        z += work.type(mean)
        return z.astype(dtype, copy=False).reshape(shape)

    return sample


def constant(value: float) -> Sampler:
    return lambda rng, shape, dtype: np.full(shape, value, dtype=dtype)


def flat_2d(shape: tuple, name: str) -> tuple[int, int]:
    """(rows, cols) = (prod(shape[:-1]), shape[-1]) of a tensor of rank >= 2, as orthogonal flattens it."""
    if len(shape) < 2:
        raise ActinitError(f"{name}: needs a shape of rank >= 2 (rows = prod(shape[:-1]), cols = shape[-1]), "
                           f"got {shape}")
    return math.prod(shape[:-1]), shape[-1]
