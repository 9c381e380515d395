"""Shapes, fans and dtypes of weight tensors: the layout every initializer and layer agrees on."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from actinit_cli.errors import ActinitError

DTYPES = ("float32", "float64")
MAX_ELEMENTS = 2**28  # 268M values (1 GiB in float32): a larger request is refused before allocating.
MAX_RANK = 32  # dimensions of an array: NumPy 1.x's limit (2.x allows 64)

def compute_fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight tensor, as Keras 3 computes them.

    Layout: a dense kernel is ``W.shape == (fan_in, fan_out)`` and the forward pass is
    ``y = x @ W + b``. Rank 0 gives (1, 1); rank 1 ``(n,)`` gives (n, n); rank > 2 is a channels-last
    kernel ``(*receptive_field, in, out)`` whose fans are multiplied by prod(receptive_field).
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def fan_for(mode: str, shape: tuple[int, ...]) -> float:
    """The fan `mode` picks, clamped to >= 1 as Keras does (so an empty dimension never divides by 0)."""
    fan_in, fan_out = compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    return max(1.0, n)


def check_dtype(dtype: Any) -> np.dtype:
    """float32 or float64; anything else is an error naming the choices."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in DTYPES:
        raise ActinitError(f"dtype: got {name!r}, expected one of {', '.join(DTYPES)}")
    return np.dtype(name)


def check_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape of positive sizes small enough to allocate; otherwise an error saying what to change."""
    if any(s <= 0 for s in shape):
        raise ActinitError(f"shape: every size must be a positive integer, got {tuple(shape)}")
    if len(shape) > MAX_RANK:
        raise ActinitError(f"shape: {len(shape)} sizes, more than the {MAX_RANK} dimensions an array may have; "
                           f"give at most {MAX_RANK}")
    if math.prod(shape) > MAX_ELEMENTS:
        raise ActinitError(f"shape: {tuple(shape)} holds {math.prod(shape):,} values, more than the "
                           f"{MAX_ELEMENTS:,} actinit will allocate; use a smaller shape")
    return tuple(shape)
