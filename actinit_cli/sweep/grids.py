"""Heatmap grids from points.csv rows: one row x column matrix per panel (the other swept values), each cell's
value and text from a function of its row. Both kinds of sweep heatmap (sweep/report.py's trends, a training
sweep's losses and dead units in sweep/training.py) are built here."""

from __future__ import annotations

from typing import Callable

Cell = Callable[[dict], tuple[float | None, str]]  # a row -> (the value drawn, None: grey; the text printed)


def grid(rows: list[dict], row_axis: str, col_axis: str, panel_axes: list[str], cell: Cell
         ) -> tuple[list[str], list[str], dict[str, list], dict[str, list]]:
    """(row names, column names, panel -> values, panel -> texts), names in the order the rows give them."""
    row_names = list(dict.fromkeys(str(r[row_axis]) for r in rows))
    col_names = list(dict.fromkeys(str(r[col_axis]) for r in rows))
    panels: dict[str, list] = {}
    texts: dict[str, list] = {}
    for r in rows:
        key = ", ".join(f"{a.split('.')[-1]} {r[a]}" for a in panel_axes) or "all points"
        values = panels.setdefault(key, [[None] * len(col_names) for _ in row_names])
        text = texts.setdefault(key, [["" for _ in col_names] for _ in row_names])
        i, j = row_names.index(str(r[row_axis])), col_names.index(str(r[col_axis]))
        values[i][j], text[i][j] = cell(r)
    return row_names, col_names, panels, texts
