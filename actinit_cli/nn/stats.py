"""Per-layer statistics pooled over units, samples and batches: the columns of layers.csv.

Second moments are the primary quantity: mean-field theory predicts them, and a ReLU layer's variance
is not its second moment (He init: E[y^2] = 1 but Var[y] = 1 - 1/pi).

Precision. Activations are summed in float64, and the mean over units of each unit's variance across the
batch is computed two-pass where the one-pass formula would cancel (SAFE_SHARE). Pre-activations,
gradients and weight gradients of float32 runs take a fast path, float32 partial sums of at most CHUNK
consecutive values added in float64 (relative error about 1e-8, at worst 6e-5 for a second moment),
only when it is safe: values finite, mean square above 1e-30 (no underflow of squares) and mean^2 <= 3/4
of the second moment (no cancellation in the variance beyond 4x). Otherwise, and in float64 runs, sums
are float64 and taken about a shift (the first batch's mean), so a large mean does not swamp a small
variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from actinit_cli.nn.columns import INTEGER, MEASURED
from actinit_cli.nn.mlp import LayerGrad, Network

HIST_VALUES = 16384  # values per layer kept for the histograms (the first rows of the first batch)
CHUNK = 1024  # float32 partial sums run over at most this many terms (error <= 1024 * 2^-24 worst case)
_ONES = np.ones(CHUNK, np.float32)
TINY_M2 = 1e-30  # below this mean square, float32 squares (min normal 1.2e-38) may underflow: use float64
MEAN_SHARE = 0.75  # fast path only if mean^2 <= 0.75 E[a^2], i.e. E[a^2] <= 4 Var a (error x4 at most)
SAFE_SHARE = 1e-3  # one-pass mean unit variance kept only if >= 1e-3 E[a^2]: float64 error (~1e-13) grows <= 1000x
ROW_BLOCK_VALUES = 1 << 19  # float64 values converted at a time by add_rows (4 MiB: fastest of 2^16..2^20 measured)


def fast_sums(a: np.ndarray) -> tuple[float, float] | None:
    """(sum, sum of squares) of a float32 array from float32 partial sums of at most CHUNK consecutive values
    added in float64, or None when they could not be trusted (non-finite, underflowing or mean-dominated
    values). Each chunk is one dot product (BLAS sdot per row under NumPy >= 2: half the time of column sums)."""
    rows, tail = _chunks(a.reshape(-1))
    with np.errstate(over="ignore", invalid="ignore"):  # float32 squares that overflow: detected below
        tail = tail.astype(np.float64)
        s1 = float(np.add.reduce(_row_dots(rows, _ONES), dtype=np.float64)) + float(np.sum(tail))
        s2 = float(np.add.reduce(_row_dots(rows, rows), dtype=np.float64)) + float(np.dot(tail, tail))
    n = a.size
    if not (math.isfinite(s2) and s2 >= TINY_M2 * n and (s1 / n) * (s1 / n) <= MEAN_SHARE * s2 / n):
        return None
    return s1, s2


def _chunks(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D array as rows of CHUNK values and the tail left over (fewer than CHUNK values)."""
    whole = flat.size - flat.size % CHUNK
    return flat[:whole].reshape(-1, CHUNK), flat[whole:]


def sum_squares(flat: np.ndarray) -> float:
    """The sum of squares of a 1-D float64 array, one dot product per CHUNK values: never one dot product
    over the whole array, which OpenBLAS splits over its threads (above 10,000 values), so that the last
    bits would depend on the number of cores."""
    rows, tail = _chunks(flat)
    return float(np.add.reduce(_row_dots(rows, rows))) + float(np.dot(tail, tail))


def _row_dots(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The dot product of each row of m with v (a row of the same shape or one vector), in m's dtype."""
    if hasattr(np, "vecdot"):  # NumPy >= 2.0
        return np.vecdot(m, v)
    return np.einsum("ij,ij->i" if v.ndim == 2 else "ij,j->i", m, v)


@dataclass
class RunningSums:
    """Running count and sums of (a - shift) and (a - shift)^2 in float64."""

    n: int = 0
    s1: float = 0.0
    s2: float = 0.0
    shift: float = 0.0

    def add(self, a: np.ndarray) -> bool:
        """Accumulate `a`; return whether all its values are finite (their squares sum finitely in float64)."""
        fast = fast_sums(a) if self.shift == 0.0 and a.dtype == np.float32 and a.ndim == 2 else None
        if fast is None:
            a64 = np.asarray(a, dtype=np.float64).reshape(-1)
            if self.n == 0 and a64.size:
                first = float(np.mean(a64))
                self.shift = first if math.isfinite(first) else 0.0
            d = a64 - self.shift if self.shift else a64
            fast = float(np.sum(d)), sum_squares(d)
        self.n += a.size
        self.s1 += fast[0]
        self.s2 += fast[1]
        return math.isfinite(fast[1])

    def add_rows(self, a: np.ndarray) -> tuple[float, bool]:
        """Accumulate a (batch, units) array in float64; return the mean over units of each unit's variance
        across the batch, and whether all values are finite.

        One pass over float64 copies of about ROW_BLOCK_VALUES values at a time (whole rows, 4 MiB) gives
        the column sums and the sum of squares; the mean unit variance is then E[a^2] - mean_j(mean_j^2).
        Where that difference cancels below SAFE_SHARE of E[a^2] (units that barely vary across the batch: the
        input-collapse case this column exists for), a second pass sums (a - mean_j)^2 instead (two-pass).
        """
        batch, units = a.shape
        col_sum, s2 = np.zeros(units), 0.0
        for block in _float64_rows(a):
            col_sum += np.add.reduce(block, axis=0)  # not ones @ block: a threaded BLAS job this small can
            s2 += sum_squares(block.reshape(-1))  # cost 40x the sum when its sleeping threads must wake
        self.n += a.size
        self.s1 += float(col_sum.sum())
        self.s2 += s2
        col_mean = col_sum / batch
        m2 = s2 / a.size if a.size else 0.0
        unit_var = m2 - sum_squares(col_mean) / units if units else 0.0
        if not unit_var >= SAFE_SHARE * m2 or not m2:  # cancellation, nan, or all zero (exactly 0 either way)
            sq = sum(sum_squares((block - col_mean).reshape(-1)) for block in _float64_rows(a))
            unit_var = sq / a.size if a.size else 0.0
        return unit_var, math.isfinite(s2)

    def mean(self) -> float | None:
        return self.shift + self.s1 / self.n if self.n else None

    def var(self) -> float | None:
        if not self.n:
            return None
        d = self.s1 / self.n  # mean - shift: small when the shift is the mean
        return max(self.s2 / self.n - d * d, 0.0) if math.isfinite(d) else float("nan")

    def m2(self) -> float | None:
        """E[a^2] = Var a + mean^2 (equal to s2 / n when there is no shift)."""
        if not self.n:
            return None
        if self.shift == 0.0:
            return self.s2 / self.n
        return self.s2 / self.n + 2 * self.shift * (self.s1 / self.n) + self.shift * self.shift  # inf, never OverflowError


def _rows_per_block(a: np.ndarray) -> int:
    return max(1, ROW_BLOCK_VALUES // max(a.shape[1], 1))


def _float64_rows(a: np.ndarray):
    """Consecutive blocks of whole rows of a (batch, units) array as float64, about ROW_BLOCK_VALUES values each."""
    step = _rows_per_block(a)
    for start in range(0, a.shape[0], step):
        yield np.asarray(a[start:start + step], dtype=np.float64)


def count_nonfinite(*arrays: np.ndarray | None) -> int:
    return sum(int(a.size - np.count_nonzero(np.isfinite(a))) for a in arrays if a is not None)


@dataclass
class LayerStats:
    """Accumulators of one layer across batches."""

    width: int
    pre: RunningSums = field(default_factory=RunningSums)
    act: RunningSums = field(default_factory=RunningSums)
    unit_var_sum: float = 0.0
    batches: int = 0
    saturated: int = 0
    zero: int = 0
    alive: np.ndarray | None = None  # per unit: nonzero for some sample
    nonfinite: int = 0
    grad_act: RunningSums = field(default_factory=RunningSums)
    grad_pre: RunningSums = field(default_factory=RunningSums)
    grad_w: RunningSums = field(default_factory=RunningSums)
    grad_b: RunningSums = field(default_factory=RunningSums)
    weight_var: float | None = None


class Accumulator:
    """Statistics of one network (one repeat) over any number of batches."""

    def __init__(self, net: Network, keep_hist: bool = False):
        self.net = net
        self.layers = [LayerStats(n) for n in net.sizes]
        self.keep_hist = keep_hist
        self.hist_act: dict[int, np.ndarray] = {}
        self.hist_grad: dict[int, np.ndarray] = {}
        for layer, w in enumerate(net.weights, start=1):  # two-pass float64: exact even for constant weights
            with np.errstate(all="ignore"):  # inf weights: the variance is nan, counted like any other
                self.layers[layer].weight_var = float(np.var(w, dtype=np.float64))

    def forward_layer(self, layer: int, h: np.ndarray | None, y: np.ndarray) -> None:
        """Accumulate one layer of one batch (pass it as `mlp.forward`'s on_layer to use hot caches)."""
        observe(self.layers[layer], h, y, self.net.activation(layer).saturation if layer else None, layer > 0)
        if layer and self.keep_hist and layer < len(self.net.weights):  # hidden layers, as Glorot & Bengio's figures
            head = head_values(y)
            # relu-like units put ~half their mass exactly at 0 (zero_frac); the curve shows the rest
            self.hist_act[layer] = head[head != 0] if self.net.activation(layer).dies else head

    def backward(self, g: LayerGrad) -> None:
        """Accumulate one layer's gradient statistics (called from the output down)."""
        observe_grad(self.layers[g.layer], g.dy, g.dh, g.dW, g.db)
        if g.dh is not None and self.keep_hist and g.layer < len(self.net.weights):
            self.hist_grad[g.layer] = head_values(g.dh)

    def rows(self) -> list[dict]:
        """One dict per layer with exactly the measured columns; None where a quantity does not apply."""
        return [row(layer, s, layer > 0 and self.net.activation(layer).saturation is not None)
                for layer, s in enumerate(self.layers)]


def observe(s: LayerStats, h: np.ndarray | None, y: np.ndarray, saturation: tuple | None,
            fractions: bool = True) -> None:
    """Accumulate one layer of one batch: its pre-activation h (None: none), its output y as (batch, units)
    and, with `fractions`, the saturated (bounds `saturation` = (lo, hi), or None), zero and dead counts of y."""
    with np.errstate(all="ignore"):  # inf/nan are data here: counted in `nonfinite`, kept in the sums
        s.batches += 1
        finite = s.pre.add(h) if h is not None else True
        unit_var, finite_y = s.act.add_rows(y)
        s.unit_var_sum += unit_var
        if not (finite and finite_y):  # count only when the sums say something is off
            s.nonfinite += count_nonfinite(h, y)
        if fractions:
            _fractions(s, y, saturation)


def _fractions(s: LayerStats, y: np.ndarray, saturation: tuple | None) -> None:
    if saturation is not None:
        lo, hi = saturation
        s.saturated += (int(np.count_nonzero(y <= lo)) if lo is not None else 0) + \
            (int(np.count_nonzero(y >= hi)) if hi is not None else 0)
    nonzero = y != 0
    s.zero += y.size - int(np.count_nonzero(nonzero))
    alive = nonzero.any(axis=0)
    s.alive = alive if s.alive is None else (s.alive | alive)


def observe_grad(s: LayerStats, dy: np.ndarray | None, dh: np.ndarray | None = None, dW: np.ndarray | None = None,
                 db: np.ndarray | None = None) -> None:
    """Accumulate one layer's gradients of one batch: dL/dy, dL/dh, dL/dW and dL/db, each None where absent."""
    with np.errstate(all="ignore"):
        finite = True
        for sums, a in ((s.grad_act, dy), (s.grad_pre, dh), (s.grad_w, dW), (s.grad_b, db)):
            if a is not None:
                finite = sums.add(a) & finite
        if not finite:
            s.nonfinite += count_nonfinite(dy, dh, dW, db)


def head_values(a: np.ndarray) -> np.ndarray:
    """The first rows of a (batch, units) array, at most about HIST_VALUES values, as float64 (for histograms)."""
    rows = max(1, min(a.shape[0], -(-HIST_VALUES // a.shape[1])))
    return np.array(a[:rows], dtype=np.float64).ravel()


def row(layer: int, s: LayerStats, saturates: bool) -> dict:
    """The measured columns of one layer's accumulators, None where a quantity does not apply; `saturates`:
    the layer's activation has a saturation bound (so saturated_frac applies). Layer 0 is the input."""
    hidden_or_out = layer > 0
    n_act = s.act.n or 1
    grad_w_std, w_var = (s.grad_w.var(), s.weight_var)
    ratio = None
    if hidden_or_out and grad_w_std is not None and w_var:
        ratio = float(np.sqrt(grad_w_std) / np.sqrt(w_var))
    return {
        "layer": layer, "width": s.width,
        "preact_mean": s.pre.mean(), "preact_var": s.pre.var(), "preact_m2": s.pre.m2(),
        "act_mean": s.act.mean(), "act_var": s.act.var(), "act_m2": s.act.m2(),
        "act_unit_var": s.unit_var_sum / s.batches if s.batches else None,
        "saturated_frac": s.saturated / n_act if saturates else None,
        "dead_frac": float(np.mean(~s.alive)) if s.alive is not None else None,
        "zero_frac": s.zero / n_act if hidden_or_out else None,
        "nonfinite": s.nonfinite,
        "grad_act_m2": s.grad_act.m2(), "grad_preact_m2": s.grad_pre.m2(), "grad_preact_var": s.grad_pre.var(),
        "grad_w_m2": s.grad_w.m2(), "grad_w_var": s.grad_w.var(), "grad_b_m2": s.grad_b.m2(),
        "weight_var": w_var, "grad_weight_ratio": ratio,
        "branch_share": None, "norm_in_m2": None,  # a block's row only (nn/blockstats.py)
    }


def mean_rows(per_repeat: list[list[dict]]) -> list[dict]:
    """Mean over repeats, column by column; `nonfinite` is summed (a count over all repeats)."""
    out = []
    for cells in zip(*per_repeat):
        row = dict(cells[0])
        for col in MEASURED[2:]:
            values = [c[col] for c in cells]
            if values[0] is None:
                continue
            row[col] = int(sum(values)) if col in INTEGER else float(np.mean(values))
        out.append(row)
    return out


def histograms(samples: dict[int, np.ndarray], bins: int = 80) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Histograms of every layer on one set of edges (fractions of the layer's values per bin).

    The range runs from the smallest per-layer 0.1 % quantile to the largest 99.9 % quantile: exploding
    layers stay visible and collapsing ones show as a spike at 0 (Glorot & Bengio 2010, Figs. 6-7).
    """
    finite = {k: v[np.isfinite(v)] for k, v in samples.items()}
    tails = np.array([np.quantile(v, [0.001, 0.999]) for v in finite.values() if v.size]).reshape(-1, 2)
    lo, hi = (float(tails[:, 0].min()), float(tails[:, 1].max())) if tails.size else (-1.0, 1.0)
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    return edges, {k: np.histogram(v, bins=edges)[0] / max(v.size, 1) for k, v in finite.items()}
