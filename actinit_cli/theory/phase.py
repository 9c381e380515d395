"""Order to chaos: fixed points of the length map, chi_1, depth scales, the phase, variance-preserving
gains and the critical line, for constant-width nets (Poole et al. 2016, arXiv:1606.05340;
Schoenholz et al. 2017, arXiv:1611.01232).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn import initializers
from actinit_cli.theory.gaussian import check_q, elementwise, expect, expect2, moments

Array = np.ndarray
CRITICAL_TOL = 0.01  # |chi_1 - 1| <= 0.01 is 'critical': the depth scale 1/|ln chi_1| exceeds ~100 layers
Q_MIN, Q_MAX = 1e-10, 1e12  # a fixed point below Q_MIN is reported as 0 (collapse), above Q_MAX as inf
_Q_GRID = np.geomspace(Q_MIN, Q_MAX, 22 * 24 + 1)  # 24 points per decade: brackets for every fixed point
_MARGINAL = 1e-10  # |V(q) - q| <= 1e-10 q: q itself is a (marginal) fixed point, e.g. relu with He
_C_GAPS = (1e-3, 1e-5)  # 1 - c tried as the upper end of the bracket for a chaotic c* < 1


def check_variances(values: Any, name: str, allow_zero: bool = False) -> Array:
    """values as floats, or ActinitError: sigma_w^2 must be finite and > 0, sigma_b^2 finite and >= 0."""
    arr = np.asarray(values, float)
    bad = ~np.isfinite(arr) | ((arr < 0) if allow_zero else (arr <= 0))
    if np.any(bad):
        where, op = (f"[{int(np.argmax(bad.ravel()))}]" if arr.ndim else ""), (">=" if allow_zero else ">")
        raise ActinitError(f"{name}{where} = {float(arr[bad].flat[0])!r}: must be finite and {op} 0")
    return arr


def _illinois(fun: Callable[[Array], Array], a: Array, b: Array, fa: Array, fb: Array,
              rtol: float = 1e-14, atol: float = 0.0, iters: int = 200) -> Array:
    """Roots of `fun` elementwise in brackets [a, b] (fa fb <= 0): regula falsi with Illinois halving."""
    for _ in range(iters):
        if np.all((np.abs(b - a) <= rtol * np.abs(b) + atol) | (fb == 0)):
            break
        x = np.where(fb != fa, b - fb * (b - a) / np.where(fb != fa, fb - fa, 1.0), (a + b) / 2)
        fx = fun(x)
        swap = fx * fb < 0
        a, fa = np.where(swap, b, a), np.where(swap, fb, fa / 2)
        b, fb = x, fx
    return b


def fixed_points(act: Any, sw2: Any, sb2: Any = 0.0, q_start: float = 1.0) -> Array:
    """q* = lim_l V^l(q_start), V(q) = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2, elementwise over sw2, sb2.

    V is non-decreasing for every registered phi (tested), so the iteration moves monotonically to
    the nearest fixed point on the side of V(q_start) - q_start: bracketed on a log grid, polished by
    regula falsi. Returns 0 on collapse (q* < 1e-10: tanh with sigma_w^2 <= 1, sigma_b = 0), inf on
    divergence (q* > 1e12: SELU with He), q_start when V(q_start) = q_start (relu with He).
    """
    phi = elementwise(act)
    sw2, sb2 = np.broadcast_arrays(check_variances(sw2, "sigma_w^2"), check_variances(sb2, "sigma_b^2", True))
    if not Q_MIN <= q_start <= Q_MAX:
        raise ActinitError(f"q_start = {q_start!r}: must lie in [{Q_MIN:g}, {Q_MAX:g}]")
    grid = np.union1d(_Q_GRID, [q_start])
    s, j = int(np.searchsorted(grid, q_start)), np.arange(grid.size)
    f = sw2[..., None] * moments(phi, grid).m2 + sb2[..., None] - grid
    down, marginal = f[..., s] < 0, np.abs(f[..., s]) <= _MARGINAL * q_start
    below = np.where((f >= 0) & (j < s), j, -1).max(axis=-1)  # a root in [below, below + 1]
    above = np.where((f <= 0) & (j > s), j, grid.size).min(axis=-1) - 1  # a root in [above, above + 1]
    lo = np.where(down, below, above)
    todo = ~marginal & (lo >= 0) & (lo < grid.size - 1)
    out = np.where(marginal, q_start, np.where(down, 0.0, np.inf))
    if np.any(todo):
        w, b, i = sw2[todo], sb2[todo], lo[todo]
        fun = lambda q: w * expect(lambda x: phi.fn(x) ** 2, q, phi.kinks) + b - q  # noqa: E731
        out[todo] = _illinois(fun, grid[i], grid[i + 1], f[todo, i], f[todo, i + 1])
    return out


def fixed_point(act: Any, sw2: float, sb2: float = 0.0, q_start: float = 1.0) -> float:
    """q* reached from q_start (see `fixed_points`): 0 on collapse, inf on divergence."""
    return float(fixed_points(act, sw2, sb2, q_start))


def chi1(act: Any, sw2: float, q: float) -> float:
    """chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2] (Poole eq. 7); at q = 0 the q -> 0+ limit."""
    return float(check_variances(sw2, "sigma_w^2")) * moments(act, q).d2


def chi1_growing(act: Any, sw2: float) -> float:
    """chi_1 as q grows without bound, where the length map diverges: sigma_w^2 E[phi'(sqrt(q) z)^2] at q = Q_MAX
    once it has settled (within 1e-4 of its value at Q_MAX / 100; it approaches its limit as 1/sqrt(q), so it is
    then within about 1e-6 of it), else NaN. Exact for the relu family (leaky_relu with He: 1 + a^2); SELU with
    He: lambda^2 = 1.10397."""
    near, far = chi1(act, sw2, Q_MAX / 100), chi1(act, sw2, Q_MAX)
    return far if math.isfinite(far) and abs(far - near) <= 1e-4 * abs(far) else math.nan


def _depth_scale(slope: float) -> float:
    """-1 / ln(slope); inf for slope >= 1 - 1e-12 (1e-12 absorbs the rounding of q -> 0+ limits), 0 if <= 0."""
    return math.inf if slope >= 1 - 1e-12 else (0.0 if slope <= 0 else -1.0 / math.log(slope))


def xi_q(act: Any, sw2: float, q: float) -> float:
    """xi_q = -1 / ln(dV/dq) at the fixed point q (Schoenholz 2017): |q^l - q*| ~ exp(-l / xi_q)."""
    return _depth_scale(float(check_variances(sw2, "sigma_w^2")) * moments(act, q).dm2)


def c_star(act: Any, sw2: float, sb2: float, q: float) -> float:
    """Stable fixed point of c -> (sigma_w^2 E[phi(u_a) phi(u_b)] + sigma_b^2) / q at q = q* (Poole eq. 5):
    1 when chi_1 <= 1 (ordered, critical), else the root in [0, 1) (chaotic)."""
    phi, sb2 = elementwise(act), float(check_variances(sb2, "sigma_b^2", True))
    if q == 0 or chi1(phi, sw2, q) <= 1:
        return 1.0

    def cmap(c: Array) -> Array:  # C(c) - c
        return (sw2 * np.array([expect2(phi.fn, phi.fn, q, q, float(c[0]), phi.kinks)]) + sb2) / q - c

    h0 = cmap(np.zeros(1))  # = (sigma_w^2 E[phi]^2 + sigma_b^2) / q >= 0
    for top in 1.0 - np.array(_C_GAPS)[:, None]:
        h1 = cmap(top)
        if h1[0] < 0:
            return float(_illinois(cmap, np.zeros(1), top, h0, h1, atol=1e-12)[0])
    return 1.0


def xi_c(act: Any, sw2: float, sb2: float, q: float, c: float | None = None) -> float:
    """xi_c = -1 / ln(sigma_w^2 E[phi'(u_a) phi'(u_b)]) at (q*, c*) (Schoenholz 2017); -1 / ln chi_1 if c* = 1.

    c defaults to `c_star(act, sw2, sb2, q)`.
    """
    phi = elementwise(act)
    c = c_star(phi, sw2, sb2, q) if c is None else c
    k = chi1(phi, sw2, q) if c == 1 else sw2 * expect2(phi.derivative, phi.derivative, q, q, c, phi.kinks)
    return _depth_scale(k)


def phase(chi_1: float, tol: float = CRITICAL_TOL) -> str:
    """'ordered' (chi_1 < 1 - tol), 'critical' (|chi_1 - 1| <= tol) or 'chaotic' (Poole 2016)."""
    return "critical" if abs(chi_1 - 1) <= tol else ("ordered" if chi_1 < 1 else "chaotic")


@dataclass(frozen=True)
class Summary:
    """Fixed point and depth scales of (phi, sigma_w^2, sigma_b^2). Phase 'divergent' when q* = inf: then chi1
    is its limit as q grows (`chi1_growing`: whether the growing signal's correlations order or not), and the
    other fields are NaN, as there is no fixed point to linearise at."""

    q_star: float
    c_star: float
    chi1: float
    dv_dq: float
    xi_q: float
    xi_c: float
    phase: str


def summary(act: Any, sw2: float, sb2: float = 0.0, q_start: float = 1.0) -> Summary:
    """q*, c*, chi_1, dV/dq, xi_q, xi_c and the phase of a constant-width net (Schoenholz 2017)."""
    phi = elementwise(act)
    q = fixed_point(phi, sw2, sb2, q_start)
    if math.isinf(q):
        return Summary(q, math.nan, chi1_growing(phi, sw2), *[math.nan] * 3, "divergent")
    m, c = moments(phi, q), c_star(phi, sw2, sb2, q)
    x1, dv = sw2 * m.d2, sw2 * m.dm2
    return Summary(q, c, x1, dv, _depth_scale(dv), xi_c(phi, sw2, sb2, q, c), phase(x1))


@dataclass(frozen=True)
class CriticalLine:
    """Points (sigma_w^2, sigma_b^2) where chi_1 = 1 at the fixed point q_star, sigma_b^2 >= 0 only."""

    q_star: Array
    sw2: Array
    sb2: Array


def critical_line(act: Any, q_star_grid: Any) -> CriticalLine:
    """sigma_w^2 = 1 / E[phi'(sqrt(q*) z)^2], sigma_b^2 = q* - sigma_w^2 E[phi(sqrt(q*) z)^2] (ghliu `sw_sb`) at the
    grid's q* where sigma_b^2 >= 0, and where it meets sigma_b^2 = 0 between two of them, at the q* solved for
    (sigmoid: q* 45.6, sigma_w^2 103.0, which no grid hits); in order of q*."""
    q = check_q(np.atleast_1d(np.asarray(q_star_grid, float)), "q_star_grid")
    sw2, sb2 = _line_at(act, q)
    sign = np.sign(sb2)
    cross = np.flatnonzero(sign[:-1] * sign[1:] < 0)  # nan (d2 = 0) has no sign: never a bracket
    if cross.size:
        root = _illinois(lambda x: _line_at(act, x)[1], q[cross], q[cross + 1], sb2[cross], sb2[cross + 1])
        q, sw2, sb2 = (np.insert(a, cross + 1, v) for a, v in ((q, root), (sw2, _line_at(act, root)[0]), (sb2, 0.0)))
    keep = np.isfinite(sw2) & (sb2 >= 0)
    return CriticalLine(q[keep], sw2[keep], sb2[keep])


def _line_at(act: Any, q: Array) -> tuple[Array, Array]:
    """(sigma_w^2, sigma_b^2) of the critical line at q*; |sigma_b^2| <= 1e-12 q* is 0 (relu's comes out as +-1e-16 q*)."""
    m = moments(act, q)
    with np.errstate(divide="ignore", invalid="ignore"):  # d2 = 0 would give an infinite sigma_w^2: dropped
        sw2 = 1 / m.d2
        sb2 = q - sw2 * m.m2
    return sw2, np.where(np.abs(sb2) <= 1e-12 * q, 0.0, sb2)


def chi1_grid(act: Any, sw2_values: Any, sb2_values: Any, q_start: float = 1.0,
              progress: Callable[[int], None] | None = None) -> Array:
    """chi_1 at the fixed point, shape (len(sw2_values), len(sb2_values)); NaN where the length map
    diverges; collapsed points (q* = 0) use the q -> 0+ limit."""
    phi = elementwise(act)
    sw2, sb2 = np.meshgrid(np.asarray(sw2_values, float), np.asarray(sb2_values, float), indexing="ij")
    w, b = sw2.ravel(), sb2.ravel()
    out = np.full(w.size, np.nan)
    for start in range(0, w.size, GRID_CHUNK):  # bounded memory: the quadrature holds ~600 nodes per point
        part = slice(start, start + GRID_CHUNK)
        q = fixed_points(phi, w[part], b[part], q_start)
        ok = np.isfinite(q)
        if ok.any():
            out[part][ok] = w[part][ok] * moments(phi, q[ok]).d2
        if progress:
            progress(q.size)
    return out.reshape(sw2.shape)




def named_initializers(families: tuple[str, ...] = ("standard", "glorot", "lecun", "he")) -> dict[str, float]:
    """Where the named initializers sit for square layers: sigma_w^2 = fan_in Var(W) from each registry
    entry's own formula, families with the same value merged ('glorot / lecun': 1)."""
    n = 1000  # any square width: variance-scaling schemes give fan_in Var(W) independent of it
    by_value: dict[float, list[str]] = {}
    for name in initializers.REGISTRY.names():
        family = name.split("_")[0]
        if family in families:
            value = round(n * initializers.get(name).expected((n, n)).std ** 2, 12)
            by_value.setdefault(value, []).append(family)
    return {" / ".join(dict.fromkeys(names)): value for value, names in sorted(by_value.items())}


MAX_POINTS = 500  # per axis: 250,000 fixed points, about 30 s; memory stays ~300 MiB at any resolution
GRID_CHUNK = 4096  # grid points per pass: tens of MiB of quadrature nodes, whatever the resolution
DIAGRAM_MAX = 1e3  # larger sigma_w^2 or sigma_b^2 push q past what the quadrature takes


@dataclass(frozen=True)
class Diagram:
    """chi_1 on a (sigma_w^2, sigma_b^2) grid and the critical line chi_1 = 1 inside its range."""

    sw2: Array
    sb2: Array
    chi1: Array  # shape (len(sw2), len(sb2)); NaN where the length map diverges
    line: CriticalLine

    def critical_sw2_without_bias(self) -> float | None:
        """sigma_w^2 where the critical line meets sigma_b^2 = 0, if it does: where phi(0) = 0 the line ends there as
        q* -> 0, and its point at q* = 0 is that limit (selu 2 / (lambda^2 (1 + alpha^2)) = 0.476771; its first
        point at q* > 0, 1e-6, is off by O(sqrt(q*)) for a phi' with a kink at 0: 0.4773)."""
        if self.line.q_star.size and self.line.q_star[0] == 0:
            return float(self.line.sw2[0])
        at0 = self.line.sw2[self.line.sb2 <= 1e-9]
        return float(at0.min()) if at0.size else None


def diagram(act: Any, sw2_max: float = 4.0, sb2_max: float = 1.0, points: int = 60,
            progress: Callable[[int], None] | None = None) -> Diagram:
    """The order-to-chaos phase diagram of `act` over (0, sw2_max] x [0, sb2_max]; `progress(n)` is told of
    every n grid points done (points^2 in all)."""
    phi = elementwise(act)
    if not (0 < sw2_max <= DIAGRAM_MAX and 0 < sb2_max <= DIAGRAM_MAX and 2 <= points <= MAX_POINTS):
        raise ActinitError(f"phase diagram: need 0 < --sw2-max <= {DIAGRAM_MAX:g}, 0 < --sb2-max <= {DIAGRAM_MAX:g} "
                           f"and 2 <= --points <= {MAX_POINTS}, got {sw2_max}, {sb2_max}, {points}")
    sw2 = np.linspace(sw2_max / points, sw2_max, points)
    sb2 = np.linspace(0.0, sb2_max, points)
    # q* = 0 first: the line's end at sigma_b^2 = 0 where phi(0) = 0 (the q -> 0+ limits of the moments); then
    # 200 points per decade of q*
    line = critical_line(phi, np.r_[0.0, np.geomspace(1e-6, 1e6, 2400)])
    _, first = np.unique(np.round(np.c_[line.sw2, line.sb2], 12), axis=0, return_index=True)
    keep = np.zeros(line.sw2.size, bool)  # relu's whole line is the single point (2, 0): keep it once
    keep[first] = True
    keep &= (line.sw2 <= sw2_max * (1 + 1e-9)) & (line.sb2 <= sb2_max + 1e-9)
    return Diagram(sw2, sb2, chi1_grid(phi, sw2, sb2, progress=progress), CriticalLine(line.q_star[keep], line.sw2[keep],
                                                                     line.sb2[keep]))
