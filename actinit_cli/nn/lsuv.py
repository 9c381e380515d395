"""LSUV, layer-sequential unit-variance initialization (Mishkin & Matas 2016, "All you need is a good init",
arXiv:1511.06422, Algorithm 1): draw every weight matrix from a base initializer (orthogonal in the paper),
then, from the first layer to the last, rescale W^l by 1 / sqrt(Var h^l) on a batch until the variance of its
pre-activations h^l = y^{l-1} W^l + b^l is within `tol` of 1, at most `max_iter` times.

The variance is np.var over the batch and units of h^l (the paper's Var of the layer's output, before the
activation). With zero biases one rescaling is exact, so every layer takes 1 iteration (0 when it is
already within tol); biases make h^l affine in the scale and may take more.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:  # specs load (and validate LSUV) without the network code
    from actinit_cli.nn.mlp import Network


@dataclass(frozen=True)
class Layer:
    """LSUV's parameters for one weight matrix."""

    tol: float
    max_iter: int


def fit(net: Network, x: np.ndarray, layers: Mapping[int, Layer]) -> tuple[Network, dict[int, tuple[int, float]]]:
    """`net` with W^l rescaled for every layer l in `layers` (1..depth+1), in order, on the batch `x`; and per
    such layer (iterations, the final Var h^l). A variance of 0 or not finite stops that layer's loop."""
    weights, report = list(net.weights), {}
    y = x
    with np.errstate(all="ignore"):
        for layer, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
            h = y @ w + b
            if layer in layers:
                w, h, report[layer] = _rescale(y, w, b, h, layers[layer])
                weights[layer - 1] = w
            y = net.activation(layer).fn(h)
    return replace(net, weights=weights), report


def _rescale(y: np.ndarray, w: np.ndarray, b: np.ndarray, h: np.ndarray, p: Layer):
    """W / sqrt(Var h) until |Var h - 1| < tol or max_iter rescalings; (W, h, (iterations, Var h))."""
    var, t = float(np.var(h, dtype=np.float64)), 0
    while abs(var - 1.0) >= p.tol and t < p.max_iter and np.isfinite(var) and var > 0:
        w = (w / np.sqrt(var)).astype(w.dtype)
        h = y @ w + b
        var, t = float(np.var(h, dtype=np.float64)), t + 1
    return w, h, (t, var)
