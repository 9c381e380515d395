"""The density of the input-output Jacobian's singular values on a log axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actinit_cli.plots import figure


def spectrum_density(path: Path, values: np.ndarray, title: str, note: str = "", floor: float | None = None) -> None:
    """The density of singular values (pooled over samples) on a log axis, 1 (isometry) marked: 60 bins even in
    log10, from the smallest positive value to the largest (zeros and non-finite values are left out). Values
    below `floor`, the rounding level (zero within the product's precision), are drawn at it and counted."""
    import textwrap

    sv = np.asarray(values, float).ravel()
    sv = sv[np.isfinite(sv) & (sv > 0)]
    floor = floor if floor is not None and np.isfinite(floor) and floor > 0 else None  # NaN: an overflowed net
    below = int(np.sum(sv < floor)) if floor else 0
    sv = np.maximum(sv, floor) if floor else sv
    fig, ((ax,),) = figure.axes((7.0, 4.6), {**figure.MARGINS, "bottom": 0.2, "top": 0.86})  # room for the note
    if sv.size:
        lo, hi = np.log10(sv.min()), np.log10(sv.max())
        edges = np.logspace(lo - 0.05, hi + 0.05, 61) if hi - lo > 1e-6 else np.logspace(lo - 0.5, hi + 0.5, 61)
        density, _ = np.histogram(np.log10(sv), bins=np.log10(edges), density=True)
        ax.stairs(density, edges, fill=True, alpha=0.6, color="tab:blue", label=f"{sv.size} singular values")
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1, label="1 (isometry)")
    if floor:
        ax.axvline(floor, color="tab:red", linestyle=":", linewidth=1,
                   label=f"rounding level (eps x largest): {below} below it, drawn at it")
    ax.set_xscale("log")
    ax.set_xlabel("singular value of the input-output Jacobian (log scale)")
    ax.set_ylabel("density per unit of log10")
    figure.title(fig, ax, title, size=9)
    ax.legend(loc="upper left", fontsize=8)
    if note:
        fig.text(0.01, 0.01, textwrap.fill(note, 125), fontsize=7, va="bottom")
    figure.save(fig, path)
