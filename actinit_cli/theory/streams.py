"""Mean-field maps of the signals inside a block, one per layer kind, in the wide limit (width -> inf at fixed
depth), with the finite-width deviation of one net on one input carried along.

A signal is described pooled over units and samples: its mean M = E[x], second moment Q = E[x^2] and
cross-sample moment C = E[x_a x_b] of two different inputs, and whether it is Gaussian (the units of a
sample iid N(M, Q - M^2) given the layers below, two samples' units jointly Gaussian with covariance
C - M^2). W has iid zero-mean entries, sigma_w^2 = fan_in Var(W) forward and fan_out Var(W) backward,
b has variance sigma_b^2.

    dense   M' = 0, Q' = sigma_w^2 Q + sigma_b^2, C' = sigma_w^2 C + sigma_b^2; Gaussian (each output unit is a
            sum over fan_in iid weights, given the input: exact for any input law)
    act     M' = E[phi(x)], Q' = E[phi(x)^2], C' = E[phi(x_a) phi(x_b)] over the Gaussian above; an input that
            is not Gaussian (a rectified stream, a uniform input) has no prediction
    layer   (x - M) / sqrt(V + eps), V = Q - M^2: M' = 0, Q' = V / (V + eps), C' = (C - M^2) / (V + eps) (a
            sample's units have mean M and variance V in the wide limit, whatever their law)
    rms     x / rho, rho^2 = Q + eps: M' = M / rho, Q' = Q / rho^2, C' = C / rho^2
    sum     s = x + alpha F: M' = M_x + alpha M_F, Q' = Q_x + 2 alpha M_x M_F + alpha^2 Q_F, and C' likewise;
            the branch output F depends on x only through x's concentrated second moment, so E[x F] =
            M_x M_F (Yang & Schoenholz 2017, arXiv:1712.08969, section 3); Gaussian when both parts are
    batch   none: BatchNorm couples the samples of a batch (Yang et al. 2019, arXiv:1902.08129)

Backward, under gradient independence (Schoenholz et al. 2017, arXiv:1611.01232; Yang & Schoenholz 2017):
E[(dL/dx)^2] = factor E[(dL/dy)^2], the factor sigma_w^2 (fan_out) for dense, E[phi'(x)^2] for act,
1 / (V + eps) for layer and 1 / (Q + eps) for rms (their Jacobian (I - 11^T/n - xhat xhat^T/n) / sigma
removes two of n directions, a 2/n correction that vanishes in the wide limit).

Finite width (docs/reference-numbers.md section W): for one net on one input, `dev` holds d ln Q and `mdev`
d M (the deviations of a sample's mean square and mean over its units) as linear combinations of
independent unit sources of variance `Sources.var`. A dense output's units are iid N(0, kappa) given its
input, kappa = sigma_w^2 Q + sigma_b^2: its mean adds a source of variance kappa / n, its Q one of 2 / n.
An activation passes the regression of (mean phi, mean phi^2) on (mean x, mean x^2) over the Gaussian input
and adds the residual covariance / n (for a zero-mean input the Q slope is q d ln E[phi^2] / dq: the chain
of Hanin & Rolnick 2018, arXiv:1803.01719). A norm's output is exact up to eps (RMSNorm passes the mean
over rho). A sum s = x + alpha F has mean M_x + alpha M_F and Q_x + 2 alpha (M_x M_F + mean(x~ F~)) +
alpha^2 Q_F, x~ and F~ the centred units: mean(x~ F~) is a source of variance V_x V_F / n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn.activations import Activation
from actinit_cli.nn.norms import EPS
from actinit_cli.theory.gaussian import check_q, expect2, rule

Dev = dict[int, float]


@dataclass(frozen=True)
class Signal:
    """One tensor's pooled moments and its finite-width deviations: d ln Q (`dev`), d M (`mdev`)."""

    mean: float
    m2: float
    cross: float
    gaussian: bool
    dev: Dev = field(default_factory=dict)
    mdev: Dev = field(default_factory=dict)

    @property
    def var(self) -> float:
        return max(self.m2 - self.mean * self.mean, 0.0)


@dataclass
class Sources:
    """The variances of the independent finite-width sources, numbered in the order they are added."""

    var: list[float] = field(default_factory=list)

    def add(self, variance: float) -> Dev:
        self.var.append(max(variance, 0.0))
        return {len(self.var) - 1: 1.0}

    def variance(self, dev: Dev) -> float:
        return self.covariance(dev, dev)

    def covariance(self, a: Dev, b: Dev) -> float:
        return sum(c * b[k] * self.var[k] for k, c in a.items() if k in b)


def compress(x: Signal, sources: Sources) -> Signal:
    """x with its deviations (d ln Q, d M) carried by two fresh sources of the same covariance: what comes
    after x depends on earlier sources only through these two, so the coefficients stay few at any depth."""
    cov = np.array([[sources.variance(x.dev), sources.covariance(x.dev, x.mdev)],
                    [sources.covariance(x.dev, x.mdev), sources.variance(x.mdev)]])
    dev, mdev = _pair(cov, 1, sources)
    return replace(x, dev=dev, mdev=mdev)


def combine(*terms: tuple[float, Dev]) -> Dev:
    """sum of weight * dev, source by source."""
    out: Dev = {}
    for weight, dev in terms:
        for k, c in dev.items():
            out[k] = out.get(k, 0.0) + weight * c
    return out


def input_signal(mean: float, std: float, gaussian: bool, width: int, sources: Sources) -> Signal:
    """The input: iid units of mean `mean` and std `std` (normal, or uniform when not `gaussian`), independent
    across samples. One input's own mean and mean square deviate from these by its `width` units' sampling:
    Var x = s^2, Cov(x, x^2) = 2 mu s^2, Var x^2 = 4 mu^2 s^2 + (k - 1) s^4, the kurtosis k = 3 (normal) or
    9/5 (uniform)."""
    m2 = float(check_q(mean * mean + std * std, "input second moment"))
    s2, k = std * std, 3.0 if gaussian else 1.8
    cov = np.array([[s2, 2 * mean * s2], [2 * mean * s2, 4 * mean * mean * s2 + (k - 1) * s2 * s2]])
    d_mean, d_m2 = _pair(cov, width, sources)
    return Signal(mean, m2, mean * mean, gaussian, combine((1.0 / m2 if m2 > 0 else 0.0, d_m2)), d_mean)


def dense(x: Signal, sw2: float, sb2: float, width: int, sources: Sources) -> Signal:
    m2 = float(check_q(sw2 * x.m2 + sb2, "a dense layer's second moment"))
    share = sw2 * x.m2 / m2 if m2 > 0 else 0.0
    return Signal(0.0, m2, sw2 * x.cross + sb2, True, combine((share, x.dev), (1.0, sources.add(2.0 / width))),
                  sources.add(m2 / width))


@dataclass(frozen=True)
class Moments:
    """E[phi], E[phi^2], E[phi'^2] of x ~ N(M, V); `slope` regresses (phi, phi^2) on (x, x^2) (rows: outputs),
    `residual` is the covariance of what the regression leaves."""

    mean: float
    m2: float
    d2: float
    slope: np.ndarray
    residual: np.ndarray


def moments(phi: Activation, mean: float, var: float) -> Moments:
    """Gaussian moments by the composite quadrature of `theory/gaussian.py` (cut at phi's kinks)."""
    z, w = rule(np.asarray(mean, float), np.asarray(math.sqrt(var), float), phi.kinks)
    x = mean + math.sqrt(var) * z
    with np.errstate(all="ignore"):
        y = phi.fn(x)
        d = phi.grad(x, y)
        pairs = np.stack([y, y * y, x, x * x])
        e = np.einsum("i,ki,li->kl", w, pairs, pairs)  # E[a b] for a, b in (phi, phi^2, x, x^2)
        first = pairs @ w
        d2 = float(np.sum(w * d * d))
    if not (np.all(np.isfinite(e)) and math.isfinite(d2)):
        raise ActinitError(f"a Gaussian moment of {phi.name} is not finite: the signal overflowed; lower "
                           f"sigma_w^2, alpha or the depth")
    cov = e - np.outer(first, first)
    out_in, in_in = cov[:2, 2:], cov[2:, 2:]
    slope = out_in @ np.linalg.pinv(in_in, rcond=1e-12, hermitian=True) if var > 0 else np.zeros((2, 2))
    return Moments(float(first[0]), float(first[1]), d2, slope, cov[:2, :2] - slope @ out_in.T)


def _pair(cov: np.ndarray, width: int, sources: Sources) -> tuple[Dev, Dev]:
    """Two correlated deviations with covariance cov / width, from two new unit sources (Cholesky)."""
    a = math.sqrt(max(cov[0, 0], 0.0))
    b = cov[0, 1] / a if a > 0 else 0.0
    c = math.sqrt(max(cov[1, 1] - b * b, 0.0))
    s1, s2 = sources.add(1.0 / width), sources.add(1.0 / width)
    return combine((a, s1)), combine((b, s1), (c, s2))


def act(x: Signal, phi: Activation, width: int, sources: Sources) -> tuple[Signal, float]:
    """(phi(x), E[phi'(x)^2]) for a Gaussian x; ActinitError otherwise."""
    if not x.gaussian:
        raise ActinitError(f"{phi.name} acts on a signal that is not Gaussian (a rectified stream, or a uniform "
                           f"input): no exact prediction")
    m = moments(phi, x.mean, x.var)
    cross = _kernel(phi, x) if x.var > 0 else m.mean * m.mean
    r_mean, r_m2 = _pair(m.residual, width, sources)
    inputs = ((1.0, x.mdev), (x.m2, x.dev))  # d mean x and d (mean x^2), absolute
    mdev = combine(*((m.slope[0, k] * w, d) for k, (w, d) in enumerate(inputs)), (1.0, r_mean))
    scale = 1.0 / m.m2 if m.m2 > 0 else 0.0
    dev = combine(*((m.slope[1, k] * w * scale, d) for k, (w, d) in enumerate(inputs)), (scale, r_m2))
    return Signal(m.mean, m.m2, cross, False, dev, mdev), m.d2


def _kernel(phi: Activation, x: Signal) -> float:
    """E[phi(x_a) phi(x_b)], (x_a, x_b) ~ N((M, M), [[V, K], [K, V]]), K = C - M^2."""
    c = min(max((x.cross - x.mean * x.mean) / x.var, -1.0), 1.0)

    def f(u: np.ndarray) -> np.ndarray:
        return phi.fn(x.mean + u)

    return expect2(f, f, x.var, x.var, c, [k - x.mean for k in phi.kinks])


def norm(x: Signal, kind: str) -> tuple[Signal, float]:
    """(the normalized signal, the backward factor) for a layer or rms norm; ActinitError for batch."""
    if kind == "layer":
        v = x.var + EPS
        return Signal(0.0, x.var / v, (x.cross - x.mean * x.mean) / v, x.gaussian), 1.0 / v
    if kind == "rms":
        rho = math.sqrt(x.m2 + EPS)
        mdev = combine((1.0 / rho, x.mdev), (-0.5 * x.mean / rho, x.dev))
        return Signal(x.mean / rho, x.m2 / rho**2, x.cross / rho**2, x.gaussian, {}, mdev), 1.0 / rho**2
    raise ActinitError("BatchNorm couples the samples of a batch: its forward and backward maps act on the "
                       "batch's Gram matrix, and the gradient's growth per layer depends on the batch size (Yang "
                       "et al. 2019, arXiv:1902.08129); no exact per-layer prediction, so none is drawn")


def add(x: Signal, f: Signal, alpha: float, width: int, sources: Sources) -> Signal:
    """s = x + alpha F, F independent of x given x's second moment."""
    mm = x.mean * f.mean
    m2 = x.m2 + 2 * alpha * mm + alpha * alpha * f.m2
    cross_term = sources.add(x.var * f.var / width)  # mean of x~ F~ over the units
    dev = combine((x.m2 / m2, x.dev), (alpha * alpha * f.m2 / m2, f.dev), (2 * alpha * f.mean / m2, x.mdev),
                  (2 * alpha * x.mean / m2, f.mdev), (2 * alpha / m2, cross_term))
    return Signal(x.mean + alpha * f.mean, m2, x.cross + 2 * alpha * mm + alpha * alpha * f.cross,
                  x.gaussian and f.gaussian, dev, combine((1.0, x.mdev), (alpha, f.mdev)))
