"""Layers as forward maps with their vector-Jacobian products, written side by side: dense, activation,
normalization and the residual block that composes them. On (batch, units) arrays, weights (fan_in,
fan_out), a dense layer computes x @ W + b (the layout of `nn/mlp.py`).

`forward(x)` returns (y, cache) and `vjp(cache, dy)` returns (dL/dx, the parameters' gradients); nothing
is stored on the layer, so one layer object can run any number of batches. Overflow becomes inf/nan,
never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from actinit_cli.nn import norms
from actinit_cli.nn.activations import Activation


@runtime_checkable
class Layer(Protocol):
    """forward(x) -> (y, cache); vjp(cache, dy) -> (dL/dx, {parameter name: its gradient})."""

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Any]: ...

    def vjp(self, cache: Any, dy: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]: ...


@dataclass(frozen=True)
class Dense:
    """y = x @ W + b; dL/dx = dy W^T, dL/dW = x^T dy, dL/db = sum_batch dy."""

    W: np.ndarray
    b: np.ndarray

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            y = x @ self.W
            if self.b.any():  # zero biases (the default) need no pass over y
                y += self.b
        return y, x

    def vjp(self, cache: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        with np.errstate(all="ignore"):
            return dy @ self.W.T, {"W": cache.T @ dy, "b": dy.sum(axis=0)}


@dataclass(frozen=True)
class Act:
    """y = phi(x) elementwise; dL/dx = phi'(x) dL/dy (the derivative at kinks as `nn/activations.py` says)."""

    phi: Activation

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        with np.errstate(all="ignore"):
            y = self.phi.fn(x)
        return y, (x, y)

    def vjp(self, cache: tuple[np.ndarray, np.ndarray], dy: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        with np.errstate(all="ignore"):
            return self.phi.vjp(cache[0], cache[1], dy), {}


@dataclass(frozen=True)
class Normalize:
    """A normalization layer (`nn/norms.py`) with its affine gamma (and beta, except RMSNorm)."""

    norm: norms.Norm
    gamma: np.ndarray
    beta: np.ndarray | None

    @classmethod
    def fresh(cls, norm: norms.Norm, width: int, dtype: np.dtype) -> "Normalize":
        """gamma = 1 and beta = 0, as PyTorch initialises them."""
        return cls(norm, np.ones(width, dtype), np.zeros(width, dtype) if norm.has_beta else None)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, norms.Cache]:
        return norms.forward(self.norm, x, self.gamma, self.beta)

    def vjp(self, cache: norms.Cache, dy: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        dx, dgamma, dbeta = norms.vjp(self.norm, cache, dy, self.gamma)
        return dx, {"gamma": dgamma} | ({"beta": dbeta} if dbeta is not None else {})


@dataclass
class Trace:
    """What a chain of layers did: each layer's input (ins[i]) and output (outs[i]) and its cache."""

    ins: list[np.ndarray] = field(default_factory=list)
    outs: list[np.ndarray] = field(default_factory=list)
    caches: list[Any] = field(default_factory=list)


def chain_forward(layers: tuple[Layer, ...], x: np.ndarray) -> tuple[np.ndarray, Trace]:
    """y = layers[-1](... layers[0](x)), keeping every layer's input, output and cache."""
    trace = Trace()
    for layer in layers:
        y, cache = layer.forward(x)
        trace.ins.append(x)
        trace.outs.append(y)
        trace.caches.append(cache)
        x = y
    return x, trace


def chain_vjp(layers: tuple[Layer, ...], trace: Trace, dy: np.ndarray
              ) -> tuple[np.ndarray, list[np.ndarray], list[dict[str, np.ndarray]]]:
    """(dL/dx, dL/d(each layer's output), each layer's parameter gradients), from the last layer down."""
    douts: list[np.ndarray] = [dy] * len(layers)
    grads: list[dict[str, np.ndarray]] = [{}] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        douts[i] = dy
        dy, grads[i] = layers[i].vjp(trace.caches[i], dy)
    return dy, douts, grads
