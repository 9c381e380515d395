"""PNG plots from plain arrays, with matplotlib's object API (imported lazily: `actinit --help` stays fast)."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np


DPI = 120
# Fixed margins (fractions of the figure) instead of a layout engine: constrained layout took half of a
# run's plotting time (it draws every figure twice to measure it). Room for a two-line title and labels.
MARGINS = {"left": 0.10, "right": 0.97, "bottom": 0.11, "top": 0.88}


def _figure(size: tuple[float, float], margins: Mapping[str, float] | None = MARGINS, **grid: int):
    """(figure, axes array) on matplotlib's object API without pyplot: no global state, nothing for a
    notebook's backend to pick up, and a lighter import."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout=None if margins else "constrained")
    axes = fig.subplots(squeeze=False, **grid)
    if margins:
        fig.subplots_adjust(**margins)
    return fig, axes


def _save(fig, path: Path) -> None:
    """A PNG with little compression: encoding at zlib's default level cost a fifth of the plotting time
    for files only ~30 % smaller."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI, pil_kwargs={"compress_level": 1})


def preload() -> None:
    """Import what drawing needs (about 0.3 s), e.g. in a thread while a run computes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401


@contextlib.contextmanager
def imported_meanwhile(enabled: bool = True) -> Iterator[None]:
    """Import matplotlib in a thread while the block computes, and wait for the import at the block's end: no
    thread is mid-import once run directories are written. With the import still running there, a Ctrl-C
    at that moment was lost in 2 of about 110 `actinit train` runs (numpy 1.24, matplotlib 3.7), in none of
    60 with the wait. The cause, found later: a KeyboardInterrupt raised inside an import lock's weakref
    callback is dropped by Python; signals.py now sends such a signal again."""
    thread = threading.Thread(target=preload, daemon=True) if enabled else None
    if thread is not None:
        thread.start()
    yield
    if thread is not None:  # not on an exception or Ctrl-C: those leave without waiting for the import
        thread.join()


def _floats(values: Sequence[float | None]) -> np.ndarray:
    """Values as floats, missing ones as NaN (a gap in a line, not a fake point)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _positive(values: Sequence[float | None]) -> np.ndarray:
    """Values for a log axis: missing, non-finite or non-positive become NaN."""
    a = _floats(values)
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def variance_by_layer(path: Path, layers: Sequence[int], series: Mapping[str, Sequence[float | None]],
                      title: str, theory: Mapping[str, tuple] | None = None, note: str = "",
                      nonfinite: Sequence[int] = (), outside: Sequence[int] = (),
                      ticks: Sequence[str] | None = None) -> None:
    """Measured second moments (markers) per layer on a log axis; theory as lines with a shaded band;
    a red shade over every layer holding inf or nan (where markers stop).

    `series` maps a label to values; `theory` maps the same label to (values, low, high) arrays; `ticks`
    labels each layer on the x axis (module names).
    """
    fig, ((ax,),) = _figure((8, 5))
    x = np.asarray(layers)
    for i, (label, values) in enumerate(series.items()):
        color = f"C{i}"
        if theory and label in theory:
            pred, lo, hi = (_positive(v) for v in theory[label])
            ax.plot(x, pred, "-", color=color, lw=1.5, alpha=0.8, label=f"{label}: mean-field prediction")
            ax.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0)
        ax.plot(x, _positive(values), "o", color=color, ms=4, label=f"{label}: measured")
    if outside:  # layers whose measurement leaves the finite-width band: circle the first series' markers
        first = _positive(next(iter(series.values())))
        ax.plot(outside, first[np.searchsorted(x, outside)], "o", ms=11, mfc="none", mec="red", mew=1.2,
                label="outside the finite-width band")
    for i, layer in enumerate(nonfinite):
        ax.axvspan(layer - 0.5, layer + 0.5, color="red", alpha=0.08, lw=0,
                   label="layers holding inf/nan" if i == 0 else None)
    ax.set_yscale("log")
    if ticks is not None:
        ax.set_xticks(x, ticks, rotation=90, fontsize=6)
    ax.set_xlabel("layer (0 = input)")
    ax.set_ylabel("second moment (log scale)")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    if note:
        ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=7, alpha=0.8, va="bottom", wrap=True)
    _save(fig, path)


def layer_histograms(path: Path, edges: np.ndarray, fractions: Mapping[int, np.ndarray], title: str,
                     xlabel: str) -> None:
    """One distribution curve per layer on shared bins, coloured by depth (Glorot & Bengio 2010, Figs. 6-7)."""
    import matplotlib as mpl

    fig, ((ax,),) = _figure((8, 5), {**MARGINS, "right": 0.99})
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
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    _save(fig, path)


def saturation(path: Path, layers: Sequence[int], fractions: Mapping[str, Sequence[float | None]],
               title: str) -> None:
    """Saturated, dead and zero fractions per layer (0 to 1)."""
    fig, ((ax,),) = _figure((8, 4.5), {**MARGINS, "bottom": 0.12, "top": 0.86})
    for label, values in fractions.items():
        a = _floats(values)
        if np.all(np.isnan(a)):
            continue
        ax.plot(layers, a, "o-", ms=3, label=label)
    ax.set_ylim(-0.02, 1.02)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer")
    ax.set_ylabel("fraction")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)


def phase_diagram(path: Path, sw2: np.ndarray, sb2: np.ndarray, chi1: np.ndarray, line: tuple[np.ndarray, np.ndarray],
                  markers: Mapping[str, float], title: str) -> None:
    """log10 chi_1 over (sigma_w^2, sigma_b^2) on a diverging map centred on 0 (chi_1 = 1), the critical
    line, and where the named initializers fall (sigma_b^2 = 0)."""
    import matplotlib as mpl

    fig, ((ax,),) = _figure((7.5, 5.5), {"left": 0.10, "right": 0.98, "bottom": 0.10, "top": 0.93})
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(chi1).T
    finite = z[np.isfinite(z)]
    reach = max(float(np.max(np.abs(finite))) if finite.size else 1.0, 1e-3)  # one scale both sides of 0
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="0.55")  # the diverging length map: dark grey, not white
    mesh = ax.pcolormesh(sw2, sb2, np.ma.masked_invalid(z), cmap=cmap, shading="nearest",
                         norm=mpl.colors.Normalize(vmin=-reach, vmax=reach))
    fig.colorbar(mesh, ax=ax, label="log10 chi_1   (< 0 ordered: gradients vanish; > 0 chaotic: they explode)")
    if not np.all(np.isfinite(z)):
        ax.fill_between([], [], color="0.55", label="length map diverges (q* = inf): no fixed point")
    order = np.argsort(line[1])
    ax.plot(np.asarray(line[0])[order], np.asarray(line[1])[order], "k-", lw=2, marker="." if len(line[0]) < 3
            else None, ms=12, label="critical line chi_1 = 1")
    for i, (name, x) in enumerate(markers.items()):
        ax.plot([x], [0.0], marker="os^D"[i % 4], ms=9, mec="k", mfc=f"C{i + 2}", ls="none", clip_on=False,
                label=f"{name} (sigma_w^2 = {x:.3g})")
    ax.set_xlim(0, float(np.max(sw2)))
    ax.set_ylim(-0.02 * float(np.max(sb2)), float(np.max(sb2)))
    ax.set_xlabel("sigma_w^2 = fan_in Var(W)")
    ax.set_ylabel("sigma_b^2 = Var(b)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    _save(fig, path)


def heatmaps(path: Path, rows: Sequence[str], cols: Sequence[str], panels: Mapping[str, list[list[float | None]]],
             texts: Mapping[str, list[list[str]]], title: str, label: str, clip: float = 2.0,
             legend: str = "") -> None:
    """Activation x initializer grids, one panel per depth (or other swept value): a diverging map centred
    on 0 (= preserved), clipped at +-clip, with every cell's value printed and a legend line below."""
    import matplotlib as mpl

    n = max(len(panels), 1)
    width = max(7.0, 2.5 + 0.9 * len(cols) * n)  # small grids still fit their title, labels and colour bar
    height = max(4.0, 2.4 + 0.5 * len(rows))
    fig, axes = _figure((width, height), None, nrows=1, ncols=n)  # rotated labels of any length: a layout engine
    values = [v for grid in panels.values() for line in grid for v in line if v is not None and np.isfinite(v)]
    reach = min(max([abs(v) for v in values] + [0.1]), clip)
    norm = mpl.colors.TwoSlopeNorm(vmin=-reach, vcenter=0.0, vmax=reach)
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="0.8")  # grey: a failed point
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
    fig.suptitle(title)
    if legend:
        fig.supxlabel(legend, fontsize=8)
    _save(fig, path)


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
    fig, axes = _figure((7.0, 4.6), {**MARGINS, "bottom": 0.2, "top": 0.86})  # room for the note under the axis
    ax = axes[0, 0]
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
    ax.set_title("\n".join(textwrap.fill(line, 90) for line in title.split("\n")), fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    if note:
        fig.text(0.01, 0.01, textwrap.fill(note, 125), fontsize=7, va="bottom")
    _save(fig, path)


def curves(path: Path, x: Sequence[float], series: Mapping[str, Sequence[float | None]], title: str, xlabel: str,
           ylabel: str, log: bool = True, guide: tuple[float, str] | None = None, colorbar: str = "") -> None:
    """Lines over a shared x (training steps): loss curves, or one line per layer coloured by depth when
    `colorbar` names the colour scale; `guide` = (y, label) draws a dashed reference line."""
    import matplotlib as mpl

    fig, ((ax,),) = _figure((8, 4.8), {**MARGINS, "left": 0.13, "right": 0.99 if colorbar else 0.97})
    cmap = mpl.colormaps["viridis"]
    for i, (label, values) in enumerate(series.items()):
        y = _positive(values) if log else _floats(values)
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
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if guide is not None or not colorbar:
        ax.legend(fontsize=8, loc="best")
    _save(fig, path)


def layer_step_map(path: Path, steps: Sequence[int], layers: Sequence[int], grid: np.ndarray, title: str,
                   label: str, limits: tuple[float, float] | None = None) -> None:
    """A layer x step heatmap (grid[layer index, step index]); NaN cells (no value) grey."""
    import matplotlib as mpl

    fig, ((ax,),) = _figure((8, 4.8), {**MARGINS, "right": 0.99})
    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.8")
    lo, hi = limits if limits else (None, None)
    dx = (steps[-1] - steps[0]) / max(len(steps) - 1, 1) / 2 if len(steps) > 1 else 0.5
    mesh = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto", origin="lower", vmin=lo, vmax=hi,
                     interpolation="nearest", extent=(steps[0] - dx, steps[-1] + dx, layers[0] - 0.5, layers[-1] + 0.5))
    fig.colorbar(mesh, ax=ax, label=label)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("layer")
    ax.set_title(title)
    _save(fig, path)
