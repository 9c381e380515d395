"""Losses that start the backward pass, with random targets drawn from the data generator.

With B the batch size, d the output width, y = psi(h) the output activation and h its pre-activation:
  mse:                  L = sum((y - t)^2) / (B d),  t ~ N(0, 1);      dL/dy = 2 (y - t) / (B d)
  cross_entropy:        L = -sum(log y[b, label_b]) / B, labels uniform in 0..d-1, y = softmax(h);
                        dL/dh = (y - onehot) / B (computed from h, never through 1/y)
  binary_cross_entropy: L = sum(softplus(h) - t h) / (B d) = mean of -t log y - (1-t) log(1-y),
                        t ~ Bernoulli(1/2), y = sigmoid(h); dL/dh = (y - t) / (B d)
  random_projection:    L = sum(y * R), R ~ N(0, 1); dL/dy = R (the mean-field convention: no normalisation)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from actinit_cli.nn.activations import Activation, softplus_fn


@dataclass(frozen=True)
class LossGrad:
    """A loss value and its gradients at the output layer."""

    value: float
    dy: np.ndarray
    dh: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Loss:
    """One loss: its random targets, its value and output gradients, and the output activation it is
    fused with (None: any; the spec fills it in and refuses another)."""

    name: str
    targets: Callable[[np.random.Generator, int, int, np.dtype], np.ndarray]  # (rng, batch, outputs, dtype)
    grad: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], LossGrad]  # (h, y, target, psi)
    output: str | None = None
    min_outputs: int = 1


def _gaussian(rng: np.random.Generator, batch: int, out_dim: int, dtype: np.dtype) -> np.ndarray:
    return rng.standard_normal(size=(batch, out_dim)).astype(dtype)


def _labels(rng: np.random.Generator, batch: int, out_dim: int, dtype: np.dtype) -> np.ndarray:
    return rng.integers(0, out_dim, size=batch)


def _bits(rng: np.random.Generator, batch: int, out_dim: int, dtype: np.dtype) -> np.ndarray:
    return rng.integers(0, 2, size=(batch, out_dim)).astype(dtype)


def _mse(h: np.ndarray, y: np.ndarray, t: np.ndarray, out: Activation) -> LossGrad:
    diff = y - t
    n = diff.size
    dy = diff * diff.dtype.type(2.0 / n)
    return LossGrad(float(np.mean(np.square(diff, dtype=np.float64))), dy, out.vjp(h, y, dy))


def _projection(h: np.ndarray, y: np.ndarray, t: np.ndarray, out: Activation) -> LossGrad:
    return LossGrad(float(np.sum(y * t, dtype=np.float64)), t, out.vjp(h, y, t))


def _cross_entropy(h: np.ndarray, y: np.ndarray, labels: np.ndarray, out: Activation) -> LossGrad:
    batch = h.shape[0]
    rows = np.arange(batch)
    shifted = h - h.max(axis=1, keepdims=True)
    log_z = np.log(np.sum(np.exp(shifted), axis=1))
    value = float(np.mean(log_z - shifted[rows, labels], dtype=np.float64))
    dh = y.copy()
    dh[rows, labels] -= 1
    dh *= dh.dtype.type(1.0 / batch)
    dy = np.zeros_like(y)
    dy[rows, labels] = -1.0 / (batch * y[rows, labels])  # inf only where y underflowed to 0
    return LossGrad(value, dy, dh)


def _binary_cross_entropy(h: np.ndarray, y: np.ndarray, t: np.ndarray, out: Activation) -> LossGrad:
    n = h.size
    value = float(np.mean(softplus_fn(h) - t * h, dtype=np.float64))
    scale = h.dtype.type(1.0 / n)
    dh = (y - t) * scale
    dy = (y - t) / (y * (1 - y)) * scale  # inf only where y saturated to exactly 0 or 1
    return LossGrad(value, dy, dh)


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (
    Loss(name="mse", targets=_gaussian, grad=_mse),
    Loss(name="cross_entropy", targets=_labels, grad=_cross_entropy, output="softmax", min_outputs=2),
    Loss(name="binary_cross_entropy", targets=_bits, grad=_binary_cross_entropy, output="sigmoid"),
    Loss(name="random_projection", targets=_gaussian, grad=_projection),
)}


def targets(loss: str, rng: np.random.Generator, batch: int, out_dim: int, dtype: np.dtype) -> np.ndarray:
    """Random targets for `loss`: Gaussian (mse), labels (cross_entropy), bits (binary), R (projection)."""
    return LOSSES[loss].targets(rng, batch, out_dim, dtype)


def evaluate(loss: str, h: np.ndarray, y: np.ndarray, target: np.ndarray, out: Activation) -> LossGrad:
    """The loss and its output gradients; overflow gives inf/nan (counted by the statistics), never raises."""
    with np.errstate(all="ignore"):
        return LOSSES[loss].grad(h, y, target, out)
