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


def normal(mean: float, std: float) -> Sampler:
    return lambda rng, shape, dtype: rng.normal(mean, std, size=shape).astype(dtype)


def uniform(low: float, high: float) -> Sampler:
    """U[low, high) drawn in float64 (Keras: min inclusive, max exclusive), then cast to `dtype`. A range
    wider than float64 (high - low = inf) is drawn as 2 U[low/2, high/2), the same distribution."""
    if math.isfinite(high - low):
        return lambda rng, shape, dtype: rng.uniform(low, high, size=shape).astype(dtype)
    return lambda rng, shape, dtype: (2.0 * rng.uniform(low / 2, high / 2, size=shape)).astype(dtype)


def truncated(mean: float, sigma_p: float) -> Sampler:
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


def constant(value: float) -> Sampler:
    return lambda rng, shape, dtype: np.full(shape, value, dtype=dtype)


def flat_2d(shape: tuple, name: str) -> tuple[int, int]:
    """(rows, cols) = (prod(shape[:-1]), shape[-1]) of a tensor of rank >= 2, as orthogonal flattens it."""
    if len(shape) < 2:
        raise ActinitError(f"{name}: needs a shape of rank >= 2 (rows = prod(shape[:-1]), cols = shape[-1]), "
                           f"got {shape}")
    return math.prod(shape[:-1]), shape[-1]
