"""A training run's plots: curves over steps and layer x step heatmaps."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from actinit_cli.plots import figure


def curves(path: Path, x: Sequence[float], series: Mapping[str, Sequence[float | None]], title: str, xlabel: str,
           ylabel: str, log: bool = True, guide: tuple[float, str] | None = None, colorbar: str = "") -> None:
    """Lines over a shared x (training steps): loss curves, or one line per layer coloured by depth when
    `colorbar` names the colour scale; `guide` = (y, label) draws a dashed reference line. With `log`, a log y
    axis only when the values span a decade or more (within one, its ticks read 3x10^0 and say less)."""
    import matplotlib as mpl

    known = [v for values in [*series.values(), [guide[0] if guide else None]] for v in figure.positive(values)
             if np.isfinite(v)]
    log = log and bool(known) and max(known) >= 10 * min(known)
    ylabel = ylabel if log else ylabel.replace(" (log scale)", "")
    fig, ((ax,),) = figure.axes((8, 4.8), {**figure.MARGINS, "left": 0.13, "right": 0.99 if colorbar else 0.97})
    cmap = mpl.colormaps["viridis"]
    for i, (label, values) in enumerate(series.items()):
        y = figure.positive(values) if log else figure.floats(values)
        color = cmap(i / max(len(series) - 1, 1)) if colorbar else f"C{i}"
        ax.plot(x, y, "-", lw=1.3, color=color, label=None if colorbar else label, marker="." if len(x) < 40 else None)
    if guide is not None:
        ax.axhline(guide[0], color="k", ls="--", lw=1, label=guide[1])
    if colorbar and series:
        norm = mpl.colors.Normalize(vmin=1, vmax=len(series))
        fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=colorbar)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    figure.title(fig, ax, title)
    ax.grid(True, alpha=0.3)
    if guide is not None or not colorbar:
        ax.legend(fontsize=8, loc="best")
    figure.save(fig, path)


def layer_step_map(path: Path, steps: Sequence[int], layers: Sequence[int], grid: np.ndarray, title: str,
                   label: str, limits: tuple[float, float] | None = None, grey: str = "no value") -> None:
    """A layer x step heatmap (grid[layer index, step index]); NaN cells grey, with a legend saying what grey
    means (`grey`) when there are any."""
    import matplotlib as mpl

    fig, ((ax,),) = figure.axes((8, 4.8), {**figure.MARGINS, "right": 0.99})
    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.8")
    lo, hi = limits if limits else (None, None)
    dx = (steps[-1] - steps[0]) / max(len(steps) - 1, 1) / 2 if len(steps) > 1 else 0.5
    mesh = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto", origin="lower", vmin=lo, vmax=hi,
                     interpolation="nearest", extent=(steps[0] - dx, steps[-1] + dx, layers[0] - 0.5, layers[-1] + 0.5))
    fig.colorbar(mesh, ax=ax, label=label)
    if np.isnan(grid).any():
        ax.fill_between([], [], color="0.8", label=f"grey: {grey}")
        figure.legend_below(fig, ax, columns=1)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("layer")
    figure.title(fig, ax, title)
    figure.save(fig, path)
