"""The spec's losses on a torch model's output, with the targets nn/losses.py draws. The model's output is y;
where actinit's MLP fuses an output activation with the loss, a torch model's output is the logits h:
  mse:                  L = mean((y - t)^2),                          t ~ N(0, 1) shaped like y
  random_projection:    L = sum(y * R),                               R ~ N(0, 1) shaped like y
  cross_entropy:        L = mean_b -log softmax(y)[b, label_b],      y is (batch, classes) logits
  binary_cross_entropy: L = mean(softplus(y) - t y),                  t ~ Bernoulli(1/2) shaped like y (logits)
The same formulas as nn/losses.py (tests/torch/test_losses.py compares values and gradients)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from actinit_cli.nn import losses

LOSS_NAMES = tuple(losses.LOSSES)  # the spec's losses, each with a torch form below


def value(loss: str, y: Any, target: Any) -> Any:
    """The scalar loss tensor of output `y` and `target` (a tensor)."""
    import torch.nn.functional as F

    if loss == "mse":
        return F.mse_loss(y, target)
    if loss == "random_projection":
        return (y * target).sum()
    if loss == "cross_entropy":
        return F.cross_entropy(y, target)
    return F.binary_cross_entropy_with_logits(y, target)


def outputs(loss: str, shape: tuple[int, ...]) -> int:
    """What nn/losses.targets calls the output width: the classes for cross_entropy, else values per sample."""
    return shape[1] if loss == "cross_entropy" else math.prod(shape[1:])


def problem(loss: str, shape: tuple[int, ...]) -> str:
    """Why `loss` cannot take an output of `shape` ('' when it can)."""
    need = losses.LOSSES[loss].min_outputs
    if loss == "cross_entropy" and (len(shape) != 2 or shape[1] < need):
        return (f"cross_entropy takes (batch, classes) logits with at least {need} classes; the model's output is "
                f"{tuple(shape)}")
    return ""


def targets(loss: str, rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Random targets for an output of `shape`, drawn as nn/losses.py draws them (labels: int64 (batch,))."""
    t = losses.targets(loss, rng, shape[0], outputs(loss, shape), dtype)
    return t.astype(np.int64) if loss == "cross_entropy" else t.reshape(shape)
