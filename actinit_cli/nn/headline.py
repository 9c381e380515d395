"""A run's one-line answer from its per-layer rows (plain dicts, as layers.csv holds them): end-to-end
ratios and fitted log2 slopes of the activation and gradient second moments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# float32's machine epsilon squared: a unit variance at or below RESOLUTION x E[y^2] is a spread across the batch
# of less than one relative rounding step of float32, so rounding, not the network, sets it (a collapsed
# sigmoid net reaches about 0.1 of that in float32 and stays there: a floor, not a rate)
RESOLUTION = 2.0 ** -46


def slope_log2(values: list[float | None], layers: list[int]) -> float | None:
    """Least-squares slope of log2(value) against layer: the per-layer growth in doublings.

    None when fewer than two layers or any value is missing, non-finite or <= 0 (no log scale).
    """
    if len(values) < 2 or any(v is None or not np.isfinite(v) or v <= 0 for v in values):
        return None
    x = np.asarray(layers, float)
    # rcond is polyfit's own default, as a Python float: numpy 1.24's lstsq compares a float64 rcond with "warn",
    # a comparison that clears a Ctrl-C arriving meanwhile (see actinit_cli/signals.py, check)
    rcond = len(x) * float(np.finfo(float).eps)
    return float(np.polyfit(x, np.log2(np.asarray(values, float)), 1, rcond=rcond)[0])


def max_known(values) -> float | None:
    """The largest of the values that are not None (None when there is none)."""
    known = [v for v in values if v is not None]
    return max(known) if known else None


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or b is 0 or non-finite."""
    if a is None or b is None or not np.isfinite(b) or b == 0:
        return None
    return float(a / b)


@dataclass(frozen=True)
class Trend:
    """One quantity followed from the first to the last hidden layer, in the direction its signal travels
    (activations forward, gradients backward): its end-to-end ratio and its fitted log2 slope per layer."""

    column: str  # the layers.csv column
    key: str  # the prefix of its headline keys
    forward: bool  # ratio last/first (forward) or first/last (backward)
    label: str  # for the terminal
    what: str  # for titles
    heatmap: str  # the sweep's heatmap file
    floor_of: str | None = None  # the slope stops before the first layer at or below RESOLUTION x this column

    @property
    def ratio_key(self) -> str:
        return f"{self.key}_last_over_first" if self.forward else f"{self.key}_first_over_last"

    @property
    def slope_key(self) -> str:
        return f"{self.key}_slope_log2"


TRENDS = (
    Trend("act_m2", "act_m2", True, "E[y^2]", "activation second moment", "heatmap_activations.png"),
    Trend("grad_preact_m2", "grad_m2", False, "E[dh^2]", "gradient second moment", "heatmap_gradients.png"),
    Trend("act_unit_var", "unit_var", True, "unit var", "per-unit variance across the batch (input collapse)",
          "heatmap_collapse.png", floor_of="act_m2"),
)
KEYS = tuple(k for t in TRENDS for k in (t.ratio_key, t.slope_key))


def headline(rows: list[dict]) -> dict[str, float | None]:
    """The run's one-line answer, per trend: the end-to-end ratio between the first and last hidden layers
    (in the direction of travel) and the fitted log2 slope per layer over the hidden layers; None where there
    are too few hidden layers (a ratio needs one, a slope two). The unit variance's slope is fitted over the
    hidden layers before the first one at float32's resolution (`RESOLUTION`; a rate, not the floor after it)."""
    hidden = rows[1:-1]
    out: dict[str, float | None] = {}
    for t in TRENDS:
        values = [r[t.column] for r in hidden] or [None]  # no hidden row (a torch model of one module): None
        out[t.ratio_key] = ratio(values[-1], values[0]) if t.forward else ratio(values[0], values[-1])
        fitted = hidden[:resolved(hidden, t.column, t.floor_of)]
        out[t.slope_key] = slope_log2([r[t.column] for r in fitted], [r["layer"] for r in fitted])
    return out


def resolved(rows: list[dict], column: str, floor_of: str | None) -> int:
    """How many of the rows come before the first whose `column` is at or below RESOLUTION x its `floor_of`
    (all of them without `floor_of`)."""
    for i, r in enumerate(rows):
        v, scale = r[column], r[floor_of] if floor_of else None
        if v is not None and scale is not None and np.isfinite(scale) and v <= RESOLUTION * scale:
            return i
    return len(rows)
