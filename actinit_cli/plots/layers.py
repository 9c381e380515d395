"""A run's per-layer plots: second moments by layer, one distribution curve per layer, saturated fractions."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from actinit_cli.plots import figure


# (line, marker, marker face) of each series in turn: series that coincide (He/ReLU keeps E[y^2] and E[dh^2] at
# their input's value, both predictions at 1) stay visible, a dashed line over a solid one, hollow squares
# around filled dots
STYLES = (("-", "o", None), ("--", "s", "none"), (":", "^", "none"))


def variance_by_layer(path: Path, layers: Sequence[int], series: Mapping[str, Sequence[float | None]],
                      title: str, theory: Mapping[str, tuple] | None = None, note: str = "",
                      nonfinite: Sequence[int] = (), outside: Sequence[int] = (),
                      ticks: Sequence[str] | None = None, xlabel: str = "layer (0 = input)") -> None:
    """Measured second moments (markers) per layer on a log axis; theory as lines with a shaded band;
    a red shade over every layer holding inf or nan (where markers stop).

    `series` maps a label to values; `theory` maps the same label to (values, low, high) arrays; `ticks`
    labels each layer on the x axis (module names).
    """
    # a log axis spanning less than a decade labels its minor ticks ("6x10^-10"): with the axis label they take
    # 0.92 inch left of the axes (0.98 at 10^-100), more than the shared 0.8 inch
    fig, ((ax,),) = figure.axes((8, 5), {**figure.MARGINS, "left": 0.125})
    x = np.asarray(layers)
    for i, (label, values) in enumerate(series.items()):
        color, (line, marker, face) = f"C{i}", STYLES[i % len(STYLES)]
        if theory and label in theory:
            pred, lo, hi = (figure.positive(v) for v in theory[label])
            ax.plot(x, pred, line, color=color, lw=1.5, alpha=0.8, label=f"{label}: mean-field prediction")
            ax.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0)
        ax.plot(x, figure.positive(values), marker, color=color, ms=4 + 2 * (face == "none"), mfc=face,
                label=f"{label}: measured")
    if outside:  # layers whose measurement leaves the finite-width band: circle the first series' markers
        first = figure.positive(next(iter(series.values())))
        ax.plot(outside, first[np.searchsorted(x, outside)], "o", ms=11, mfc="none", mec="red", mew=1.2,
                label="outside the finite-width band")
    for i, layer in enumerate(nonfinite):
        ax.axvspan(layer - 0.5, layer + 0.5, color="red", alpha=0.08, lw=0,
                   label="layers holding inf/nan" if i == 0 else None)
    ax.set_yscale("log")
    if ticks is not None:
        figure.name_ticks(fig, ax, x, ticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("second moment or variance (log scale)")
    figure.title(fig, ax, title)
    ax.grid(True, which="major", alpha=0.3)
    figure.legend_below(fig, ax)
    if note:
        figure.footnote(fig, ax, note)
    figure.save(fig, path)


def layer_histograms(path: Path, edges: np.ndarray, fractions: Mapping[int, np.ndarray], title: str,
                     xlabel: str, note: str = "") -> None:
    """One distribution curve per layer on shared bins, coloured by depth (Glorot & Bengio 2010, Figs. 6-7), and
    `note` (where the values come from) under the axes."""
    import matplotlib as mpl

    fig, ((ax,),) = figure.axes((8, 5), {**figure.MARGINS, "right": 0.99})
    layers = sorted(fractions)
    centres = (edges[:-1] + edges[1:]) / 2
    norm = mpl.colors.Normalize(vmin=min(layers), vmax=max(layers)) if layers else None
    cmap = mpl.colormaps["viridis"]
    for layer in layers:
        ax.plot(centres, fractions[layer], color=cmap(norm(layer)), lw=1.2)
    if layers:
        bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="layer")
        bar.locator = mpl.ticker.MaxNLocator(integer=True)
        bar.update_ticks()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of values per bin")
    figure.title(fig, ax, title)
    ax.grid(True, alpha=0.3)
    if note:
        figure.footnote(fig, ax, note)
    figure.save(fig, path)


def saturation(path: Path, layers: Sequence[int], fractions: Mapping[str, Sequence[float | None]],
               title: str) -> None:
    """Saturated, dead and zero fractions per layer, each series under its label (all missing: left out); the y axis
    from 0 to a little above the largest value (0 to 1 when it exceeds 0.5), so 1 % saturation is not a flat
    line at the bottom of a 0-1 axis."""
    fig, ((ax,),) = figure.axes((8, 4.5), {**figure.MARGINS, "bottom": 0.12, "top": 0.86})
    peak = 0.0
    for label, values in fractions.items():
        a = figure.floats(values)
        if np.all(np.isnan(a)):
            continue
        ax.plot(layers, a, "o-", ms=3, label=label)
        peak = max(peak, float(np.nanmax(a)))
    top = 1.02 if peak > 0.5 else max(1.2 * peak, 0.01)
    ax.set_ylim(-0.02 * top, top)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer")
    ax.set_ylabel("fraction")
    figure.title(fig, ax, title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    figure.save(fig, path)
