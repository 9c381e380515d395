"""The shared figure setup: fixed margins, a figure without pyplot, a fast PNG writer, matplotlib imported in a
thread, and values for (log) axes."""

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


def axes(size: tuple[float, float], margins: Mapping[str, float] | None = MARGINS, **grid: int):
    """(figure, axes array) on matplotlib's object API without pyplot: no global state, nothing for a
    notebook's backend to pick up, and a lighter import."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout=None if margins else "constrained")
    axes = fig.subplots(squeeze=False, **grid)
    if margins:
        fig.subplots_adjust(**margins)
    return fig, axes


def save(fig, path: Path) -> None:
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


def floats(values: Sequence[float | None]) -> np.ndarray:
    """Values as floats, missing ones as NaN (a gap in a line, not a fake point)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def positive(values: Sequence[float | None]) -> np.ndarray:
    """Values for a log axis: missing, non-finite or non-positive become NaN."""
    a = floats(values)
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a
