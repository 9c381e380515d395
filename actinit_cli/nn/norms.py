"""Normalization layers, each a forward map and its vector-Jacobian product written together: LayerNorm
(Ba et al. 2016, arXiv:1607.06450), RMSNorm (Zhang & Sennrich 2019, arXiv:1910.07467) and BatchNorm in
training mode, with the batch's own statistics (Ioffe & Szegedy 2015, arXiv:1502.03167).

On a (batch, units) array, with the statistics over `axis` (units per sample, or the batch per unit) and
eps = 1e-5 as PyTorch's nn.LayerNorm and nn.BatchNorm1d (nn.RMSNorm's default is the dtype's machine
epsilon; actinit uses 1e-5 for all three):

    mu = mean(x) (0 for RMSNorm),  sigma = sqrt(mean((x - mu)^2) + eps),  xhat = (x - mu) / sigma
    y = gamma * xhat + beta        (gamma = 1, beta = 0 at initialisation; RMSNorm has no beta)

The Jacobian is d xhat_i / d x_j = (delta_ij - c/n - xhat_i xhat_j / n) / sigma (c = 1 when centred), so

    dL/dx = (d - c mean(d) - xhat mean(d xhat)) / sigma,   d = gamma * dL/dy,
    dL/dgamma = sum_batch dL/dy * xhat,   dL/dbeta = sum_batch dL/dy.

BatchNorm's variance is the biased one (divided by the batch size), as PyTorch normalizes in training.
Everything keeps the input's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = 1e-5  # PyTorch's default eps of nn.LayerNorm and nn.BatchNorm1d


@dataclass(frozen=True)
class Norm:
    """One normalization: statistics over `axis` (1: a sample's units; 0: a unit's batch), centred or not."""

    name: str
    axis: int
    centred: bool
    formula: str
    reference: str

    @property
    def has_beta(self) -> bool:
        """RMSNorm rescales only (PyTorch's nn.RMSNorm has a weight and no bias)."""
        return self.centred


NORMS: dict[str, Norm] = {n.name: n for n in (
    Norm("layer", 1, True, "(x - mean_units x) / sqrt(var_units x + eps) per sample", "Ba et al. 2016, arXiv:1607.06450"),
    Norm("rms", 1, False, "x / sqrt(mean_units x^2 + eps) per sample", "Zhang & Sennrich 2019, arXiv:1910.07467"),
    Norm("batch", 0, True, "(x - mean_batch x) / sqrt(var_batch x + eps) per unit (training mode)",
         "Ioffe & Szegedy 2015, arXiv:1502.03167"),
)}


@dataclass(frozen=True)
class Cache:
    """What the VJP needs: the normalized input and 1 / sigma (kept along `axis`)."""

    xhat: np.ndarray
    inv_sigma: np.ndarray


def forward(norm: Norm, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray | None,
            eps: float = EPS) -> tuple[np.ndarray, Cache]:
    """y = gamma * xhat + beta (see the module docstring); overflow becomes inf/nan, never raised."""
    with np.errstate(all="ignore"):
        xc = x - x.mean(axis=norm.axis, keepdims=True) if norm.centred else x
        var = np.mean(xc * xc, axis=norm.axis, keepdims=True)
        inv = (1.0 / np.sqrt(var + x.dtype.type(eps))).astype(x.dtype)
        xhat = xc * inv
        y = xhat * gamma
        if beta is not None:
            y += beta
    return y, Cache(xhat, inv)


def vjp(norm: Norm, cache: Cache, dy: np.ndarray, gamma: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dL/dx, dL/dgamma, dL/dbeta) from dL/dy; dL/dbeta is None for RMSNorm."""
    with np.errstate(all="ignore"):
        d = dy * gamma
        proj = np.mean(d * cache.xhat, axis=norm.axis, keepdims=True)
        inner = d - cache.xhat * proj
        if norm.centred:
            inner -= np.mean(d, axis=norm.axis, keepdims=True)
        dx = inner * cache.inv_sigma
        dgamma = np.sum(dy * cache.xhat, axis=0)
        dbeta = np.sum(dy, axis=0) if norm.has_beta else None
    return dx, dgamma, dbeta
