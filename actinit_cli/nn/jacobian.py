"""The input-output Jacobian of a plain MLP and the spectrum of its singular values (dynamical isometry).

J(x) = d y^depth / d x for one input x, in the layout of the forward pass (row vectors, x @ W): a change dx of
the input moves the last hidden layer by dx @ J, J = W^1 D^1 W^2 D^2 ... W^depth D^depth with
D^l = diag(phi_l'(h^l(x))). It is built exactly, one (samples * n_0, n_{l-1}) x (n_{l-1}, n_l) product per
layer, in the run's dtype (float32 halves the cost; products of float32 matrices resolve singular values down
to about 1e-6 of the largest), from the pre-activations the forward pass computed; its singular values come
from numpy.linalg.svd in float64. Pennington, Schoenholz & Ganguli 2017, arXiv:1711.04735.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # saved runs read spectrum.csv's columns from here without the network code
    from actinit_cli.nn.blocks import Network as BlockNetwork
    from actinit_cli.nn.mlp import Network

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)  # of the singular values, per sample, in spectrum.csv


def chain(net: Network, h: list[np.ndarray]) -> np.ndarray:
    """J[s] = W^1 D^1 ... W^depth D^depth (shape (samples, n_0, n_depth)), in the weights' dtype.

    `h[l - 1]` holds hidden layer l's pre-activations of the samples, shape (samples, n_l), l = 1..depth.
    """
    samples, n0 = h[0].shape[0], net.weights[0].shape[0]
    jac = None
    with np.errstate(all="ignore"):  # overflow gives inf/nan singular values, reported as such
        for layer, pre in enumerate(h, start=1):
            w = net.weights[layer - 1]
            d = net.activation(layer).derivative(pre.astype(w.dtype, copy=False))
            if jac is None:
                jac = w[None] * d[:, None, :]
            else:
                jac = (jac.reshape(samples * n0, -1) @ w).reshape(samples, n0, -1)
                jac *= d[:, None, :]  # in place: a new array per layer would cost a tenth of the product
    return jac


def singular_values(jac: np.ndarray) -> np.ndarray:
    """The singular values of each J[s] (taken in float64), descending, shape (samples, min(n_0, n_depth)); NaN
    for a sample whose Jacobian overflowed (inf or NaN entries) or whose SVD does not converge: overflow is
    reported, never raised."""
    jac = jac.astype(np.float64, copy=False)
    out = np.full(jac.shape[:1] + (min(jac.shape[1:]),), np.nan)
    for s in np.flatnonzero(np.isfinite(jac).all(axis=(1, 2))):
        try:
            out[s] = np.linalg.svd(jac[s], compute_uv=False)
        except np.linalg.LinAlgError:
            pass
    return out


@dataclass(frozen=True)
class Spectrum:
    """Singular values per sample (rows, descending) and what spectrum.csv and the scalars report of them."""

    values: np.ndarray  # (samples, k)
    eps: float = float(np.finfo(np.float64).eps)  # the Jacobian's dtype's rounding: below eps x the largest is 0

    @property
    def floor(self) -> np.ndarray:
        """Per sample, eps x its largest singular value: smaller ones are zero within the product's rounding."""
        return self.eps * self.values[:, 0]

    def rows(self) -> list[dict]:
        """One row per sample: quantiles of the singular values, mean and variance of their squares, condition."""
        with np.errstate(all="ignore"):  # an overflowed sample's NaN values give NaN cells
            return [self._row(s, sv) for s, sv in enumerate(self.values)]

    @staticmethod
    def _row(s: int, sv: np.ndarray) -> dict:
        sv2 = sv.astype(np.float64) ** 2
        row = {"sample": s, "count": sv.size}
        row.update({quantile_key(p): float(v) for p, v in zip(QUANTILES, np.quantile(sv, QUANTILES))})
        row.update(sv2_mean=float(sv2.mean()), sv2_var=float(sv2.var()),
                   condition=float(np.divide(sv[0], sv[-1])))  # x / 0 = inf, NaN stays NaN
        return row

    def scalars(self) -> dict[str, float]:
        """The run-level numbers (nn/scalars.py): means over the samples of each sample's statistic."""
        sv2 = self.values.astype(np.float64) ** 2
        mean, var = sv2.mean(axis=1), sv2.var(axis=1)
        with np.errstate(all="ignore"):
            low = np.maximum(np.quantile(self.values, 0.05, axis=1), self.floor)  # rounding reads as the floor
            spread = np.log10(np.quantile(self.values, 0.95, axis=1) / low)
            rel = var / mean**2
        return {"jac_sv2_mean": float(mean.mean()), "jac_sv2_var": float(var.mean()),
                "jac_sv2_var_rel": float(rel.mean()), "jac_sv_spread": float(spread.mean())}


def quantile_key(p: float) -> str:
    """spectrum.csv's column of quantile p: sv_min, sv_q05, ..., sv_median, ..., sv_max."""
    return {0.0: "sv_min", 0.5: "sv_median", 1.0: "sv_max"}.get(p, f"sv_q{round(100 * p):02d}")


COLUMNS = ("sample", "count", *(quantile_key(p) for p in QUANTILES), "sv2_mean", "sv2_var", "condition")


def spectrum(net: Network, h: list[np.ndarray]) -> Spectrum:
    """The Jacobian spectrum of the samples whose hidden pre-activations are `h` (see `chain`)."""
    return spectrum_of(chain(net, h))


def spectrum_of(jac: np.ndarray) -> Spectrum:
    """The spectrum of Jacobians J[s] (shape (samples, n_0, n_depth)), with the rounding level of their dtype."""
    return Spectrum(singular_values(jac), float(np.finfo(jac.dtype).eps))


def through_blocks(net: "BlockNetwork", x: np.ndarray) -> np.ndarray:
    """J[s] = d x^depth / d x of a network of blocks (the stream after the last block against the input),
    shape (samples, n_0, n_depth), from the blocks' own forward maps and vector-Jacobian products: sample s's
    input repeated n_depth times goes forward, the identity's rows go back, and dL/dx's rows are J's columns
    (a cotangent e_j gives sum_k e_j,k d x^depth_k / d x = J[:, j]). Each row of a batch must be its own
    sample, so BatchNorm, which couples the rows, cannot be taken this way."""
    n_last = net.blocks[-1].dense[-1].W.shape[1]
    out = []
    with np.errstate(all="ignore"):
        for row in x:
            stream, caches = np.repeat(row[None], n_last, axis=0), []
            for block in net.blocks:
                stream, cache = block.forward(stream)
                caches.append(cache)
            d = np.eye(n_last, dtype=stream.dtype)
            for block, cache in zip(reversed(net.blocks), reversed(caches)):
                d, _ = block.backward(cache, d)
            out.append(d.T)
    return np.stack(out)
