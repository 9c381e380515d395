"""Optimizers: the update a parameter gets from its gradient, one registry entry each.

With g the gradient, p the parameter, lr the learning rate and wd the weight decay (an L2 term added to
the gradient of weights, never of biases: g <- g + wd p):
  sgd:      p <- p - lr v,  v <- momentum v + g (v starts at 0, so v = g on the first step; momentum 0: v = g)
            (Polyak 1964; PyTorch's SGD with dampening 0)
  momentum: sgd with momentum 0.9 by default
  adam:     m <- b1 m + (1 - b1) g,  s <- b2 s + (1 - b2) g^2,  m^ = m / (1 - b1^t),  s^ = s / (1 - b2^t),
            p <- p - lr m^ / (sqrt(s^) + eps)   (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1; t counts
            this parameter's updates from 1; the weight decay is PyTorch Adam's, coupled, not AdamW's)
An optimizer returns the change of each parameter (the caller adds it), so the update-to-data ratio
std(delta W) / std(W) is read off the same array that is applied.
"""

from __future__ import annotations

from typing import Any, Hashable, Mapping

import numpy as np

from actinit_cli.nn.registry import Entry, Param, Registry


class Sgd:
    """Stochastic gradient descent with heavy-ball momentum (0: plain SGD)."""

    def __init__(self, lr: float, momentum: float, weight_decay: float):
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity: dict[Hashable, np.ndarray] = {}

    def delta(self, key: Hashable, p: np.ndarray, g: np.ndarray, decay: bool) -> np.ndarray:
        """The change of parameter `key` (value p, gradient g); `decay`: apply the weight decay (weights)."""
        t = p.dtype.type
        if decay and self.weight_decay:
            g = g + p * t(self.weight_decay)
        if self.momentum:
            v = self.velocity.get(key)
            if v is None:
                v = self.velocity[key] = g.copy()
            else:
                v *= t(self.momentum)
                v += g
            g = v
        return g * t(-self.lr)


class Adam:
    """Adam with bias correction (Kingma & Ba 2015, Algorithm 1)."""

    def __init__(self, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float):
        self.lr, self.beta1, self.beta2, self.eps, self.weight_decay = lr, beta1, beta2, eps, weight_decay
        self.state: dict[Hashable, tuple[int, np.ndarray, np.ndarray]] = {}

    def delta(self, key: Hashable, p: np.ndarray, g: np.ndarray, decay: bool) -> np.ndarray:
        t = p.dtype.type
        if decay and self.weight_decay:
            g = g + p * t(self.weight_decay)
        step, m, s = self.state.get(key) or (0, np.zeros_like(p), np.zeros_like(p))
        step += 1
        m *= t(self.beta1)
        m += g * t(1 - self.beta1)
        s *= t(self.beta2)
        s += np.square(g) * t(1 - self.beta2)
        self.state[key] = (step, m, s)
        m_hat = m * t(1 / (1 - self.beta1**step))
        s_hat = s * t(1 / (1 - self.beta2**step))
        np.sqrt(s_hat, out=s_hat)
        s_hat += t(self.eps)
        m_hat /= s_hat
        m_hat *= t(-self.lr)
        return m_hat


def _sgd(lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> Sgd:
    return Sgd(lr, momentum, weight_decay)


def _momentum(lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0) -> Sgd:
    return Sgd(lr, momentum, weight_decay)


def _adam(lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 0.0) -> Adam:
    return Adam(lr, beta1, beta2, eps, weight_decay)


def _below_one(*names: str):
    def check(params: Mapping[str, Any]) -> str | None:
        bad = [n for n in names if params[n] >= 1]
        return f"{bad[0]} must be < 1, got {params[bad[0]]}" if bad else None
    return check


LR = Param("lr", low=0.0, low_open=True, doc="learning rate")
DECAY = Param("weight_decay", low=0.0, doc="L2 weight decay on weights (not biases)")
REGISTRY: Registry = Registry("optimizer", [
    Entry("sgd", _sgd, (LR, Param("momentum", low=0.0, doc="heavy-ball momentum, < 1"), DECAY),
          check=_below_one("momentum"), formula="v <- momentum v + g; p <- p - lr v"),
    Entry("momentum", _momentum, (LR, Param("momentum", low=0.0, doc="heavy-ball momentum, < 1"), DECAY),
          check=_below_one("momentum"), formula="sgd with momentum 0.9"),
    Entry("adam", _adam, (LR, Param("beta1", low=0.0), Param("beta2", low=0.0), Param("eps", low=0.0, low_open=True),
                          DECAY), check=_below_one("beta1", "beta2"),
          formula="p <- p - lr m^ / (sqrt(s^) + eps), bias-corrected moments"),
], aliases={})


def get(ref: Any, field: str | None = None) -> Sgd | Adam:
    """A fresh optimizer (no state) from a reference such as {name: adam, lr: 0.001}."""
    return REGISTRY.get(ref, field)
