"""Verdicts: one resolved check evaluated against one table of layers.csv rows. A check never passes
on missing data: an empty cell where the network has a value by construction, a NaN or inf, a zero
reference, or a value with no log2 in a slope fails it, with the reason."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from actinit_cli.nn.columns import SCALE
from actinit_cli.run.checks import RUN, applies, interval, label, select
from actinit_cli.nn.headline import TRENDS, headline, max_known, resolved, slope_log2
from actinit_cli.torch import rows as module_rows
from actinit_cli.words import counted


@dataclass(frozen=True)
class Result:
    """One check on one target: pass/fail, the worst layer and its value, the bound, and why."""

    target: str
    name: str
    passed: bool
    layer: int | None
    value: float | None
    bound: str
    message: str


def value(row: Mapping, quantity: str) -> float | None:
    v = row.get(quantity)
    return None if v is None or v == "" else float(v)


def scalars_of(rows: list[dict], model: Mapping) -> dict[str, float | None]:
    """The run-level quantities (nn/scalars.py) that follow from the rows alone: the headline's and, for
    actinit's MLP, max_dead_frac over its hidden layers (a training run gives its own, over the steps)."""
    if "torch" in model:
        return module_rows.headline(rows)
    return {**headline(rows), "max_dead_frac": max_known(r.get("dead_frac") for r in rows[1:-1])}


def evaluate(check: Mapping, rows: list[dict], model: Mapping, target: str = "",
             scalars: Mapping[str, float | None] | None = None) -> Result:
    """Evaluate one resolved check against one table of rows of the network `model` (spec's model section);
    a run-level check reads the quantities the rows give (the headline's) and `scalars`, the run's others."""
    name = label(check)
    q = check["quantity"]
    if check["layers"] == RUN:
        v = {**scalars_of(rows, model), **(scalars or {})}.get(q)
        return _bounded_run(check, v, target, name)
    if rows and q not in rows[0]:
        return Result(target, name, False, None, None, "", f"{q} is missing from layers.csv")
    if check["slope_log2"]:
        return _evaluate_slope(check, rows, target, name, model)
    layers = [layer for layer in select(check["layers"], len(rows) - 1, rows) if applies(q, layer, model, rows)]
    if not layers:
        anywhere = any(applies(q, layer, model, rows) for layer in range(len(rows)))
        return Result(target, name, False, None, None, interval(check["min"], check["max"]),
                      f"{q} is empty: " + ("it applies to none of the selected layers" if anywhere
                                           else "this network has no layer where it applies"))
    values = {layer: value(rows[layer], q) for layer in layers}
    ref_layer, scale = _reference(check, rows)
    if ref_layer is not None and scale is None:
        return Result(target, name, False, ref_layer, value(rows[ref_layer], q), "",
                      f"the reference ({check['relative_to']}, layer {ref_layer}) has {q} = "
                      f"{value(rows[ref_layer], q)}: cannot divide by it")
    values.pop(ref_layer, None)
    return _bounded(check, {k: (v / scale if v is not None and scale else v) for k, v in values.items()},
                    target, name)


def _reference(check: Mapping, rows: list[dict]) -> tuple[int | None, float | None]:
    ref = check["relative_to"]
    if ref is None:
        return None, 1.0
    layer = {"input": 0, "output": len(rows) - 1, "first_hidden": 1}[ref]
    v = value(rows[layer], check["quantity"])
    return layer, (v if v is not None and math.isfinite(v) and v > 0 else None)


def _bounded(check: Mapping, values: dict[int, float | None], target: str, name: str) -> Result:
    lo, hi = check["min"], check["max"]
    bound = interval(lo, hi)
    bad = {k: v for k, v in values.items() if v is None or not math.isfinite(v)
           or (lo is not None and v < lo) or (hi is not None and v > hi)}
    log = check["quantity"] in SCALE and all(b is None or b > 0 for b in (lo, hi))
    worst = max(values, key=lambda k: _excess(values[k], lo, hi, log))
    if not bad:
        return Result(target, name, True, worst, values[worst], bound,
                      f"{'all' if len(values) > 1 else 'the'} {counted(len(values), 'layer')} within {bound}; "
                      f"closest to the bound: layer {worst}")
    first = min(bad)
    v = bad[first]
    what = ("has no value" if v is None else "is not finite" if not math.isfinite(v)
            else f"is {v:.4g}, below min {lo:g}" if lo is not None and v < lo else f"is {v:.4g}, above max {hi:g}")
    return Result(target, name, False, worst, values[worst], bound,
                  f"layer {first} {what} ({len(bad)} of {len(values)} layers outside {bound}; "
                  f"worst layer {worst}: {_show(values[worst])})")


def _bounded_run(check: Mapping, v: float | None, target: str, name: str) -> Result:
    lo, hi = check["min"], check["max"]
    bound = interval(lo, hi)
    if v is None or not math.isfinite(v):
        why = "has no value (the rows do not give it: a value missing, non-finite or <= 0 on the way)" \
            if v is None else "is not finite"
        return Result(target, name, False, None, v, bound, f"{check['quantity']} {why}")
    ok = (lo is None or v >= lo) and (hi is None or v <= hi)
    side = "" if ok else f", below min {lo:g}" if lo is not None and v < lo else f", above max {hi:g}"
    return Result(target, name, ok, None, v, bound,
                  f"{check['quantity']} = {v:.4g}{side} ({'within' if ok else 'outside'} {bound})")


def _excess(v: float | None, lo: float | None, hi: float | None, log: bool) -> float:
    """How far v sits beyond its bounds (negative inside; +inf when missing or not finite): in doublings
    for positive scales with positive bounds, else in the quantity's own units."""
    if v is None or not math.isfinite(v):
        return math.inf
    if log:
        if v <= 0:
            return math.inf
        return max(math.log2(lo) - math.log2(v) if lo is not None else -math.inf,  # not log2(lo / v): it
                   math.log2(v) - math.log2(hi) if hi is not None else -math.inf)  # underflows to log2(0)
    return max(lo - v if lo is not None else -math.inf, v - hi if hi is not None else -math.inf)


def _show(v: float | None) -> str:
    return "no value" if v is None else f"{v:.4g}"


def _evaluate_slope(check: Mapping, rows: list[dict], target: str, name: str, model: Mapping) -> Result:
    """The fitted log2 slope per layer; over a torch model's `modules`, per selected module in forward order. A
    quantity with a floor (the per-unit variance: headline.TRENDS) is fitted up to float32's resolution, as the
    headline's slope is."""
    q, bounds = check["quantity"], check["slope_log2"]
    modules = "torch" in model  # the selected layers where q exists by construction (not the input's gradients)
    layers = [layer for layer in select(check["layers"], len(rows) - 1, rows) if applies(q, layer, model, rows)]
    floor_of = next((t.floor_of for t in TRENDS if t.column == q), None)
    layers = layers[:resolved([rows[layer] for layer in layers], q, floor_of)]
    values = [value(rows[layer], q) for layer in layers]
    bound = interval(bounds["min"], bounds["max"])
    bad = [(layer, v) for layer, v in zip(layers, values) if v is None or not math.isfinite(v) or v <= 0]
    if bad:
        why = f"layer {bad[0][0]} has {q} = {_show(bad[0][1])}, which has no log2"
        return Result(target, name, False, bad[0][0], None, bound, f"cannot fit a slope: {why}")
    slope = slope_log2(values, list(range(len(layers))) if modules else layers)
    if slope is None:
        return Result(target, name, False, None, None, bound, "cannot fit a slope: needs at least 2 layers")
    ok = (bounds["min"] is None or slope >= bounds["min"]) and (bounds["max"] is None or slope <= bounds["max"])
    verdict = "within" if ok else "outside"
    return Result(target, name, ok, None, slope, bound,
                  f"fitted slope {slope:+.4f} log2 per layer over layers {layers[0]}..{layers[-1]}, {verdict} {bound}")
