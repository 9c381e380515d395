"""Colour maps over parameter grids: the order-to-chaos phase diagram and a sweep's heatmaps."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from actinit_cli.plots import figure


def phase_diagram(path: Path, sw2: np.ndarray, sb2: np.ndarray, chi1: np.ndarray, line: tuple[np.ndarray, np.ndarray],
                  markers: Mapping[str, float], title: str) -> None:
    """log10 chi_1 over (sigma_w^2, sigma_b^2) on a diverging map centred on 0 (chi_1 = 1), the critical
    line, and where the named initializers fall (sigma_b^2 = 0)."""
    fig, ((ax,),) = figure.axes((7.5, 5.5), {"left": 0.10, "right": 0.98, "bottom": 0.10, "top": 0.93})
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(chi1).T
    _colours(fig, ax, sw2, sb2, z)
    if not np.all(np.isfinite(z)):
        ax.fill_between([], [], color="0.55", label="length map diverges (q* = inf): no fixed point")
    order = np.argsort(line[1])
    point = 0 < len(line[0]) < 3  # relu's critical set is the point (2, 0), where He's marker is: a cross over it
    if len(line[0]):  # sigmoid, softplus: no critical point in range, no legend entry for one
        ax.plot(np.asarray(line[0])[order], np.asarray(line[1])[order], "k+" if point else "k-", lw=2, ms=18,
                mew=2.5, zorder=5, clip_on=False, label="critical " + ("point" if point else "line") + " chi_1 = 1")
    for i, (name, x) in enumerate(markers.items()):
        ax.plot([x], [0.0], marker="os^D"[i % 4], ms=9, mec="k", mfc=f"C{i + 2}", ls="none", clip_on=False,
                label=f"{name} (sigma_w^2 = {x:.3g})")
    # from the mesh's first cell edge (no blank strip), but never past a marker or below sigma_b^2 = -2 % of the top
    x_edge, y_edge = (float(a[0] - (a[1] - a[0]) / 2) if len(a) > 1 else 0.0 for a in (sw2, sb2))
    ax.set_xlim(min(max(0.0, x_edge), 0.9 * min(markers.values(), default=np.inf)), float(np.max(sw2)))
    ax.set_ylim(max(y_edge, -0.02 * float(np.max(sb2))), float(np.max(sb2)))
    ax.set_xlabel("sigma_w^2 = fan_in Var(W)")
    ax.set_ylabel("sigma_b^2 = Var(b)")
    figure.title(fig, ax, title)
    figure.legend_below(fig, ax)
    figure.save(fig, path)


def _colours(fig, ax, sw2: np.ndarray, sb2: np.ndarray, z: np.ndarray) -> None:
    """log10 chi_1 as colours with their colour bar: each side of 0 on its own scale where both have values (tanh's
    ordered corner reaches -1.5 where its chaotic side stays below 0.2, which a shared scale left white, the colour
    of the critical line), else one scale for both; the diverging length map (not finite) dark grey."""
    import matplotlib as mpl

    finite = z[np.isfinite(z)]
    low, high = (float(np.min(finite)), float(np.max(finite))) if finite.size else (-1.0, 1.0)
    reach = max(-low, high, 1e-3)
    norm = mpl.colors.TwoSlopeNorm(0.0, low, high) if low < -1e-3 and high > 1e-3 else \
        mpl.colors.Normalize(-reach, reach)
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="0.55")
    mesh = ax.pcolormesh(sw2, sb2, np.ma.masked_invalid(z), cmap=cmap, shading="nearest", norm=norm)
    bar = fig.colorbar(mesh, ax=ax, label="log10 chi_1   (< 0 ordered: gradients vanish; > 0 chaotic: they explode)")
    if isinstance(norm, mpl.colors.TwoSlopeNorm):  # ticks on both sides: the default ones miss the shorter side
        ticks = np.unique(np.r_[np.linspace(low, 0, 5), np.linspace(0, high, 4)].round(2))
        bar.set_ticks(ticks[(ticks >= low) & (ticks <= high)])  # rounded beyond an end: nan in the colour bar


def heatmaps(path: Path, rows: Sequence[str], cols: Sequence[str], panels: Mapping[str, list[list[float | None]]],
             texts: Mapping[str, list[list[str]]], title: str, label: str, clip: float = 2.0,
             legend: str = "", fraction: bool = False) -> None:
    """Activation x initializer grids, one panel per depth (or other swept value): a diverging map centred
    on 0 (= preserved), clipped at +-clip, with every cell's value printed and a legend line below; a
    `fraction` (0 to 1, e.g. dead units) on a sequential map from white at 0 instead."""
    import matplotlib as mpl

    n = max(len(panels), 1)
    width = max(7.0, 2.5 + 0.9 * len(cols) * n)  # small grids still fit their title, labels and colour bar
    height = max(4.0, 2.4 + 0.5 * len(rows))
    fig, axes = figure.axes((width, height), None, nrows=1, ncols=n)  # rotated labels of any length: a layout engine
    values = [v for grid in panels.values() for line in grid for v in line if v is not None and np.isfinite(v)]
    reach = min(max([abs(v) for v in values] + [0.1]), clip)
    norm = mpl.colors.Normalize(0.0, reach) if fraction else mpl.colors.TwoSlopeNorm(vmin=-reach, vcenter=0.0,
                                                                                      vmax=reach)
    cmap = mpl.colormaps["Reds" if fraction else "RdBu_r"].with_extremes(bad="0.8")  # grey: a failed point
    for ax, (name, grid) in zip(axes[0], panels.items()):
        data = np.array([[np.nan if v is None else v for v in line] for line in grid], dtype=float)  # +-inf: to 0
        mesh = ax.imshow(np.ma.masked_invalid(np.clip(data, -reach, reach)), cmap=cmap, norm=norm, aspect="auto")
        for (i, j), text in np.ndenumerate(np.array(texts[name], dtype=object)):
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if not np.isnan(data[i, j]) and abs(data[i, j]) > 0.6 * reach else "black")
        ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set_title(name, fontsize=10)
    fig.colorbar(mesh, ax=axes[0].tolist(), label=label, shrink=0.9)
    fig.suptitle("\n".join(figure.wrap(title, width - 0.3, 12.0)))  # a small grid's figure is narrower than it
    if legend:
        fig.supxlabel("\n".join(figure.wrap(legend, width - 0.3, 8.0)), fontsize=8)
    figure.save(fig, path)
