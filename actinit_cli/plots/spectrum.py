"""The density of the input-output Jacobian's singular values on a log axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actinit_cli.plots import figure


def _edges(sv: np.ndarray) -> np.ndarray:
    """61 bin edges even in log10: the values' range and 5 % of it either side (half a decade either side of a
    single value)."""
    lo, hi = np.log10(sv.min()), np.log10(sv.max())
    pad = 0.05 * (hi - lo) if hi - lo > 1e-6 else 0.5
    return np.logspace(lo - pad, hi + pad, 61)


def _limits(edges: np.ndarray) -> tuple[float, float]:
    """The x axis: the bins, taking in 1 (isometry) when that at most doubles their width in log10 (so the
    distribution is never squeezed against a far reference line), and 3 % of the width to spare either side."""
    lo, hi = np.log10(edges[0]), np.log10(edges[-1])
    if lo - (hi - lo) <= 0.0 <= hi + (hi - lo):
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return 10 ** (lo - 0.03 * (hi - lo)), 10 ** (hi + 0.03 * (hi - lo))


def _where(x: float, limits: tuple[float, float]) -> str:
    """'' for a reference value on the axis, else which side of it the value lies."""
    return "" if limits[0] <= x <= limits[1] else ", left of the axis" if x < limits[0] else ", right of the axis"


def spectrum_density(path: Path, values: np.ndarray, title: str, note: str = "", floor: float | None = None) -> None:
    """The density of singular values (pooled over samples) on a log axis, 1 (isometry) marked: 60 bins even in
    log10 over the values' range (zeros and non-finite values are left out); the axis spans the data, not the
    reference lines (see _limits). Values below `floor`, the rounding level (zero within the product's
    precision), are drawn at it and counted."""
    import textwrap

    sv = np.asarray(values, float).ravel()
    sv = sv[np.isfinite(sv) & (sv > 0)]
    floor = floor if floor is not None and np.isfinite(floor) and floor > 0 else None  # NaN: an overflowed net
    below = int(np.sum(sv < floor)) if floor else 0
    sv = np.maximum(sv, floor) if floor else sv
    fig, ((ax,),) = figure.axes((7.0, 4.6), {**figure.MARGINS, "bottom": 0.2, "top": 0.86})  # room for the note
    edges = _edges(sv) if sv.size else np.array([0.1, 10.0])  # no value: a decade either side of 1
    limits = _limits(edges)
    if sv.size:
        density, _ = np.histogram(np.log10(sv), bins=np.log10(edges), density=True)
        ax.stairs(density, edges, fill=True, alpha=0.6, color="tab:blue", label=f"{sv.size} singular values")
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1, label=f"1 (isometry){_where(1.0, limits)}")
    if floor:
        ax.axvline(floor, color="tab:red", linestyle=":", linewidth=1, label=f"rounding level (eps x largest)"
                   f"{_where(floor, limits)}: {below} below it" + (", drawn at it" if below else ""))
    ax.set_xscale("log")
    ax.set_xlim(*limits)
    if limits[1] < 10 * limits[0]:  # under a decade: about 6 plain numbers (0.85, 0.9, ...), not 9x10^-1 alone
        import matplotlib.ticker as ticker

        ax.xaxis.set_major_locator(ticker.MaxNLocator(6))
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("singular value of the input-output Jacobian (log scale)")
    ax.set_ylabel("density per unit of log10")
    figure.title(fig, ax, title, size=9)
    ax.legend(loc="best", fontsize=8)
    if note:
        fig.text(0.01, 0.01, textwrap.fill(note, 125), fontsize=7, va="bottom")
    figure.save(fig, path)
