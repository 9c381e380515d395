"""Gaussian expectations E[f(sqrt(q) z)], z ~ N(0, 1), for activations with kinks and jumps.

Composite Gauss-Legendre: the line is cut at fixed points in z (where the Gaussian weight changes),
at activation-scale points in x = sqrt(q) z (where tanh-like functions bend; always x = 0, where
softsign's phi'' jumps) and at the activation's kinks, so every panel
holds an analytic integrand; |z| > 13 is dropped (mass 1.2e-38). This reaches
1e-13 relative against closed forms and SciPy `quad` even across SELU's derivative jump, where plain
256-node Gauss-Hermite is off by 4e-3 (docs/reference-numbers.md section E).
The derivative of the length map uses Gaussian integration by parts (Stein's lemma), exact for
kinked phi: d/dq E[phi(sqrt(q) z)^2] = E[z phi phi'] / sqrt(q) (Poole et al. 2016, arXiv:1606.05340).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from actinit_cli.nn import activations
from actinit_cli.nn.activations import Activation
from actinit_cli.errors import ActinitError
from actinit_cli.nn.special import norm_pdf

Array = np.ndarray
Q_LIMIT = 1e30  # largest q accepted: sqrt(q) z and phi^4 ~ q^2 stay far from float64 overflow (1.8e308)
Z_MAX = 13.0  # P(|z| > 13) = 1.2e-38: below float64 resolution of any moment we take
# Cuts in z: panels no wider than 2.5, where 16 Legendre nodes integrate the Gaussian weight to 1e-16.
_Z_CUTS = np.array([0.0, 1.0, 2.0, 3.0, 4.5, 6.0, 8.0, 10.5, Z_MAX])
_Z_CUTS = np.concatenate([-_Z_CUTS[:0:-1], _Z_CUTS])
_X_FIRST = 0.25  # first cut in x = sqrt(q) z; then doubling, so the poles of tanh/sigmoid/softplus at
# x = +-i pi/2 (+-i pi) and softsign's 1/(1 + x) at x = -1 stay a panel-width away from every panel
NODES_1D = 16  # Legendre nodes per panel for 1-D expectations (12 already reach 1e-15 against quad)
NODES_2D = 8  # per panel and axis for 2-D expectations (target 1e-6; 8 reach 1e-13 on the arc-cosine kernel)
_LEGENDRE = {n: np.polynomial.legendre.leggauss(n) for n in (NODES_1D, NODES_2D)}
_Q0_LIMIT = 1e-16  # q -> 0+ limits of d2, dm2 are extrapolated from q = 1e-16 and 4e-16


def x_cuts(x_max: float) -> Array:
    """0 and +-0.25 * 2^k up to past x_max: where activations bend, on every scale the nodes reach."""
    k = int(np.ceil(np.log2(max(x_max, _X_FIRST) / _X_FIRST))) + 1
    pos = _X_FIRST * 2.0 ** np.arange(k)
    return np.concatenate([-pos[::-1], [0.0], pos])


def rule(mean: Array, std: Array, points: Sequence[float] = (), n: int = NODES_1D) -> tuple[Array, Array]:
    """Nodes z and weights w (shape mean.shape + (M,)) with sum(w f(mean + std z)) = E[f(mean + std z)].

    `points` are extra cuts in x = mean + std z (kinks); std == 0 is allowed (then the sum is f(mean)).
    """
    mean, std = np.broadcast_arrays(np.asarray(mean, float), np.asarray(std, float))
    safe = np.where(std > 0, std, 1.0)[..., None]
    xs = np.concatenate([x_cuts(np.max(np.abs(mean) + Z_MAX * std, initial=0.0)), np.asarray(points, float)])
    zx = np.clip((xs - mean[..., None]) / safe, -Z_MAX, Z_MAX)
    zc = np.broadcast_to(_Z_CUTS, mean.shape + _Z_CUTS.shape)
    edges = np.sort(np.concatenate([zc, zx], axis=-1), axis=-1)
    half, mid = np.diff(edges, axis=-1) / 2, (edges[..., 1:] + edges[..., :-1]) / 2
    t, wt = _LEGENDRE[n]
    z = (mid[..., None] + half[..., None] * t).reshape(mean.shape + (-1,))
    w = (half[..., None] * wt).reshape(z.shape) * norm_pdf(z)
    return z, w


def check_q(q: Any, what: str = "q") -> Array:
    """q as a float array, or ActinitError when it is negative, not finite or beyond Q_LIMIT."""
    q = np.asarray(q, dtype=float)
    bad = ~np.isfinite(q) | (q < 0) | (q > Q_LIMIT)
    if np.any(bad):
        v = q[bad].flat[0]
        raise ActinitError(f"{what} = {v:g}: a pre-activation second moment must be finite and in "
                           f"[0, {Q_LIMIT:g}] for the Gaussian quadrature; the signal overflowed, so lower "
                           f"sigma_w^2 or the depth")
    return q


def _finite(value: Array, what: str, fix: str | None = None) -> Array:
    if not np.all(np.isfinite(value)):
        raise ActinitError(f"{what} is not finite: the activation overflowed on the quadrature nodes; "
                           f"{fix or 'lower sigma_w^2 or the depth'}")
    return value


def expect(f: Callable[[Array], Array], q: Any, kinks: Sequence[float] = ()) -> Any:
    """E[f(sqrt(q) z)], z ~ N(0, 1), for scalar or array q >= 0; q = 0 gives f(0).

    Cut at `kinks` (x where f or f' is not smooth); accurate to ~1e-13 relative for piecewise
    analytic f (tests: closed forms and scipy.integrate.quad).
    """
    q = check_q(q)
    z, w = rule(np.zeros_like(q), np.sqrt(q), kinks)
    with np.errstate(all="ignore"):  # overflow on the nodes is reported by _finite, not as a warning
        out = _finite(np.sum(w * f(np.sqrt(q)[..., None] * z), axis=-1), "E[f(sqrt(q) z)]")
    return float(out) if out.ndim == 0 else out


def elementwise(act: Any, field: str = "activation") -> Activation:
    """The Activation for a name, mapping or instance; ActinitError unless it is elementwise with phi'."""
    act = act if isinstance(act, Activation) else activations.get(act, field)
    if act.grad is None:
        raise ActinitError(f"{field}: mean-field theory needs an elementwise activation with a derivative, "
                           f"and '{act.name}' has none; use it only as the output activation")
    return act


@dataclass(frozen=True)
class Moments:
    """Gaussian moments of phi(u), u = sqrt(q) z (scalars, or arrays shaped like q).

    mean E[phi], m2 E[phi^2], m4 E[phi^4], d2 E[phi'^2], dm2 = d m2 / dq = E[z phi phi'] / sqrt(q).
    At q = 0, d2 and dm2 are the q -> 0+ limits (relu: 1/2, not relu'(0)^2 = 0), extrapolated in
    sqrt(q) from q = 1e-16 and 4e-16: a kink at 0 makes the error O(sqrt(q)), and 2 f(q) - f(4 q)
    cancels that term.
    """

    q: Any
    mean: Any
    m2: Any
    m4: Any
    d2: Any
    dm2: Any


def _sums(act: Activation, q: Array) -> list[Array]:
    """[E phi, E phi^2, E phi^4, E phi'^2, E[z phi phi'] / sqrt(q)] for q > 0, one pass over the nodes."""
    z, w = rule(np.zeros_like(q), np.sqrt(q), act.kinks)
    x = np.sqrt(q)[..., None] * z
    with np.errstate(all="ignore"):  # overflow is reported by _finite below, not as a warning
        y = act.fn(x)
        d = act.grad(x, y)
        out = [np.sum(w * v, axis=-1) for v in (y, y * y, y**4, d * d, z * y * d)]
    out[4] = out[4] / np.sqrt(q)
    given = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in act.params.items())
    what = f"a Gaussian moment of {act.name}" + (f"({given})" if given else "")
    return [_finite(v, what, "lower the activation's parameters, sigma_w^2 or the depth" if given else None)
            for v in out]


def moments(act: Any, q: Any) -> Moments:
    """The Moments of act at q (scalar or array); ActinitError for softmax or a bad q."""
    act = elementwise(act)
    q = check_q(q)
    zero = q == 0
    vals = _sums(act, np.where(zero, _Q0_LIMIT, q))
    if np.any(zero):
        y0 = float(act.fn(np.zeros(1))[0])
        far = _sums(act, np.array(4 * _Q0_LIMIT))
        vals = [np.where(zero, y0**k, v) for k, v in zip((1, 2, 4), vals[:3])] + [
            np.where(zero, 2 * v - v4, v) for v, v4 in zip(vals[3:], far[3:])]
    if q.ndim == 0:
        return Moments(float(q), *(float(v) for v in vals))
    return Moments(q, *vals)


def _outer_cuts(kinks: Sequence[float], r1: float, r2: float, c: float, s: float) -> Array:
    """Cuts in x1 = sqrt(q1) z1 for the outer integral of expect2.

    The inner integral, as a function of z1, bends where its mean sqrt(q2) c z1 crosses a kink k or an
    activation-scale point p of g (z1 = p / (c sqrt(q2))), over a width s / |c| in z1; near c = +-1 that
    width is tiny, so the kink crossings get geometric cuts on that width's scale.
    """
    kinks = np.asarray(kinks, float)
    if c == 0 or r2 == 0:
        return kinks
    cross = np.concatenate([x_cuts(Z_MAX * r2), kinks]) / (c * r2)
    width = s / abs(c)
    spread = x_cuts(2 * Z_MAX / width) * width if width > 0 else np.zeros(1)
    near = (kinks[:, None] / (c * r2) + spread).ravel()
    return np.concatenate([kinks, r1 * cross, r1 * near])


def expect2(f: Callable[[Array], Array], g: Callable[[Array], Array], q1: float, q2: float, c: float,
            kinks: Sequence[float] = ()) -> float:
    """E[f(u1) g(u2)], u1 = sqrt(q1) z1, u2 = sqrt(q2) (c z1 + sqrt(1 - c^2) z2), z1, z2 iid N(0, 1).

    Tensor product of the composite rule: the inner integral over z2 is cut at g's kinks for every
    outer node, the outer one at f's kinks and where the inner integral bends (`_outer_cuts`), so
    c -> +-1 stays accurate (~1e-10 against the arc-cosine kernel); c = 1, q1 = q2 give E[f(u) g(u)].
    """
    q1, q2 = float(check_q(q1, "q1")), float(check_q(q2, "q2"))
    if not -1.0 <= c <= 1.0:
        raise ActinitError(f"correlation c = {c!r} must lie in [-1, 1]")
    r1, r2, s = np.sqrt(q1), np.sqrt(q2), np.sqrt(max(0.0, 1.0 - c * c))
    z1, w1 = rule(np.zeros(()), r1, _outer_cuts(kinks, r1, r2, c, s), NODES_2D)
    z2, w2 = rule(r2 * c * z1, np.full(z1.shape, r2 * s), kinks, NODES_2D)
    with np.errstate(all="ignore"):
        inner = np.sum(w2 * g(r2 * (c * z1[:, None] + s * z2)), axis=-1)
        total = np.sum(w1 * f(r1 * z1) * inner)
    return float(_finite(total, "E[f(u1) g(u2)]"))
