"""Per-layer statistics pooled over units, samples and batches: the columns of layers.csv.

Second moments are the primary quantity: mean-field theory predicts them, and a ReLU layer's variance
is not its second moment (He init: E[y^2] = 1 but Var[y] = 1 - 1/pi).

Precision: nn/sums.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from actinit_cli.nn.columns import INTEGER, MEASURED
from actinit_cli.nn.mlp import LayerGrad, Network
from actinit_cli.nn.sums import RunningSums, variance

HIST_VALUES = 16384  # values per layer kept for the histograms (the first rows of the first batch)
HIST_NOTE = (f"each curve: at most about {HIST_VALUES:,} values of its layer, the first rows of the first batch, "
             "less any left out as the title says (jags: sampling noise)")


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
        for layer, w in enumerate(net.weights, start=1):  # on this thread: 2 threads gained 10 %, and their
            self.layers[layer].weight_var = variance([w])  # float64 blocks in a full arena can fault 200 MB a run

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
            count_fractions(s, y, saturation)


def count_fractions(s: LayerStats, y: np.ndarray, saturation: tuple | None) -> None:
    """Accumulate the saturated (bounds `saturation` = (lo, hi), or None), zero and dead counts of y (batch, units)."""
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
        "zero_frac": s.zero / n_act if s.alive is not None else None,  # as dead_frac: counted (count_fractions)
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


def histograms(samples: dict[int, np.ndarray], bins: int = 80,
               magnitudes: bool = False) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Histograms of every layer on one set of edges (fractions of the layer's values per bin).

    The range runs from the smallest per-layer 0.1 % quantile to the largest 99.9 % quantile: exploding
    layers stay visible and collapsing ones show as a spike at 0 (Glorot & Bengio 2010, Figs. 6-7).
    With `magnitudes`, of log10 |v| with exact zeros left out (edges in log10 units): layers orders of magnitude
    apart each keep their shape (xavier_relu's gradients span 9 decades).
    """
    finite = {k: v[np.isfinite(v)] for k, v in samples.items()}
    if magnitudes:
        finite = {k: np.log10(np.abs(v[v != 0])) for k, v in finite.items()}
    tails = np.array([np.quantile(v, [0.001, 0.999]) for v in finite.values() if v.size]).reshape(-1, 2)
    lo, hi = (float(tails[:, 0].min()), float(tails[:, 1].max())) if tails.size else (-1.0, 1.0)
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    # bins and range rather than the edges: NumPy's equal-width path, the same edges and counts without a sort
    return edges, {k: np.histogram(v, bins=bins, range=(lo, hi))[0] / max(v.size, 1) for k, v in finite.items()}
