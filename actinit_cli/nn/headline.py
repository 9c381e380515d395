"""A run's one-line answer from its per-layer rows (plain dicts, as layers.csv holds them): end-to-end
ratios and fitted log2 slopes of the activation and gradient second moments."""

from __future__ import annotations

import numpy as np


def slope_log2(values: list[float | None], layers: list[int]) -> float | None:
    """Least-squares slope of log2(value) against layer: the per-layer growth in doublings.

    None when fewer than two layers or any value is missing, non-finite or <= 0 (no log scale).
    """
    if len(values) < 2 or any(v is None or not np.isfinite(v) or v <= 0 for v in values):
        return None
    return float(np.polyfit(np.asarray(layers, float), np.log2(np.asarray(values, float)), 1)[0])


def max_known(values) -> float | None:
    """The largest of the values that are not None (None when there is none)."""
    known = [v for v in values if v is not None]
    return max(known) if known else None


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or b is 0 or non-finite."""
    if a is None or b is None or not np.isfinite(b) or b == 0:
        return None
    return float(a / b)


def headline(rows: list[dict]) -> dict[str, float | None]:
    """The run's one-line answer: last/first hidden activation second moment, first/last hidden gradient
    second moment, and their fitted per-layer log2 slopes over the hidden layers."""
    hidden = rows[1:-1]
    layers = [r["layer"] for r in hidden]
    act = [r["act_m2"] for r in hidden]
    grad = [r["grad_preact_m2"] for r in hidden]
    return {
        "act_m2_last_over_first": ratio(act[-1], act[0]),
        "grad_m2_first_over_last": ratio(grad[0], grad[-1]),
        "act_m2_slope_log2": slope_log2(act, layers),
        "grad_m2_slope_log2": slope_log2(grad, layers),
    }
