"""The shared figure setup: fixed margins, a figure without pyplot, a fast PNG writer, matplotlib imported in a
thread, and values for (log) axes."""

from __future__ import annotations

import contextlib
import functools
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


TITLE_PAD = 10 / 72  # inches: the title's 6 pt offset above the axes and a margin at the figure's top


@functools.cache
def _advance(char: str) -> float:
    """The advance width of `char` in matplotlib's default font, in em (unhinted, at 100 pt so that FreeType's
    16.16 fixed point rounds nothing away); the font object is matplotlib's shared one, so its size is set."""
    from matplotlib.font_manager import FontProperties, findfont, get_font

    font = get_font(findfont(FontProperties()))
    font.set_size(100, 72)
    return font.load_char(ord(char)).linearHoriAdvance / 65536 / 100


def text_width(text: str, size: float) -> float:
    """The width of one line of text at `size` points, in inches, measured without drawing it (a layout engine
    draws every figure twice): within 2 % of matplotlib's own layout, which adds kerning."""
    return sum(_advance(c) for c in text) * size / 72


def grow(fig, **inches: float) -> None:
    """Add inches to margins of the figure (top=, bottom=, left=, right=): the figure grows, the axes keep their
    size and every other margin its inches (fixed margins are fractions of the figure)."""
    width, height = fig.get_size_inches()
    p = fig.subplotpars
    room = {"left": p.left * width, "right": (1 - p.right) * width, "bottom": p.bottom * height,
            "top": (1 - p.top) * height}
    room = {side: space + inches.get(side, 0.0) for side, space in room.items()}
    width, height = width + inches.get("left", 0.0) + inches.get("right", 0.0), \
        height + inches.get("top", 0.0) + inches.get("bottom", 0.0)
    fig.set_size_inches(width, height)
    fig.subplots_adjust(left=room["left"] / width, right=1 - room["right"] / width, bottom=room["bottom"] / height,
                        top=1 - room["top"] / height)


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text`'s lines, each broken at spaces into lines at most `width` inches wide at `size` points (a longer
    word stands alone)."""
    return [w for line in text.split("\n") for w in _wrap(line, width, size)]


def _wrap(line: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    for word in _words(line):
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _words(line: str) -> list[str]:
    """`line` split at spaces, a number kept with the word before it when that word is not a number itself ("lr
    0.01", "width 256)"): a line never breaks between a name and its value, and a list of numbers still breaks."""
    words: list[str] = []
    previous = ""
    for word in line.split(" "):
        if words and word[:1].isdigit() and previous and not previous[:1].isdigit():
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
        previous = word
    return words


def title(fig, ax, text: str, size: float = 12.0) -> None:
    """The axes' title, each line wrapped to the width it can take centred over the axes, and the figure grown
    at the top when the lines need more room than its margin (12 pt: matplotlib's 'large')."""
    box = ax.get_position()
    # twice the distance from the axes' centre to the nearer edge of the figure, less 0.1 inch to spare
    width = min(box.x0 + box.x1, 2 - box.x0 - box.x1) * fig.get_size_inches()[0] - 0.1
    lines = wrap(text, width, size)
    ax.set_title("\n".join(lines), fontsize=size)
    need = TITLE_PAD + len(lines) * 1.2 * size / 72  # matplotlib's line spacing: 1.2
    have = (1 - fig.subplotpars.top) * fig.get_size_inches()[1]
    if need > have:
        grow(fig, top=need - have)


def legend_below(fig, ax, columns: int = 2, size: float = 8.0) -> None:
    """The axes' legend in a strip added below the figure (call it after the tick names, before a footnote):
    inside the axes any place can cover data (selu's legend lay on the critical line; seven entries over a
    sigmoid net's gradient markers)."""
    handles, labels = ax.get_legend_handles_labels()
    rows = -(-len(labels) // columns)
    height = fig.get_size_inches()[1]
    below, tall = fig.subplotpars.bottom * height, ax.get_position().height * height  # inches: under the axes, the axes
    grow(fig, bottom=(rows * 1.5 + 1.5) * size / 72)  # a row: text and spacing (1.5 em); frame and pad
    # anchored under what is already below the axes, in the axes' own inches (grow keeps them): a footnote added
    # later goes under the legend, not over it
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -below / tall), ncol=columns, fontsize=size)


def footnote(fig, ax, text: str, size: float = 7.0) -> None:
    """`text` under everything below the axes (call it last), wrapped to the axes' width, the figure grown at the
    bottom by its lines: a note never covers the data. Wrapped to 93 % of that width: text_width measures unhinted
    glyphs, and at the PNG's 120 dpi DejaVu's hinted text comes out up to 5 % wider."""
    width = 0.93 * ax.get_position().width * fig.get_size_inches()[0]
    lines = wrap(text, width, size)
    pad = 4 / 72
    grow(fig, bottom=len(lines) * 1.3 * size / 72 + pad)  # 1.2 em a line, and hinted text a little taller
    fig.text(ax.get_position().x0, pad / 2 / fig.get_size_inches()[1], "\n".join(lines), fontsize=size,
             alpha=0.8, ha="left", va="bottom")


def name_ticks(fig, ax, x: Sequence[float], names: Sequence[str], most: int = 30, size: float = 7.5) -> None:
    """Names under the x axis at 45 degrees, every k-th one when there are more than `most` (so neighbours do
    not overlap), and the figure grown below (and on the left) by what the shown names need."""
    step = -(-len(names) // most)
    at, shown = list(x)[::step], list(names)[::step]
    ax.set_xticks(at, shown, rotation=45, ha="right", rotation_mode="anchor", fontsize=size)
    ax.set_xticks(x, minor=True)  # every row keeps a tick mark
    reach = [0.71 * (text_width(n, size) + 1.2 * size / 72) for n in shown]  # down and left of the tick: sin 45
    (lo, hi), box, width = ax.get_xlim(), ax.get_position(), fig.get_size_inches()[0]
    left = [r - (box.x0 + box.width * (a - lo) / (hi - lo)) * width for a, r in zip(at, reach)]
    grow(fig, bottom=max(max(reach, default=0.0) - 12 / 72, 0.0),  # 12 pt: room the default tick labels had
         left=max(max(left, default=0.0) + 0.05, 0.0))


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
