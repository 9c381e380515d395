"""Variance gates: the `checks:` section of a spec, evaluated against layers.csv rows.

A check bounds one quantity, either per layer (`min`/`max`, optionally `relative_to` a reference
layer) or as the least-squares slope of log2(quantity) against layer (`slope_log2`), which at finite
width is far steadier than any single layer's value. A check never passes on missing data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.registry import did_you_mean, type_name
from actinit_cli.stats import COLUMNS

QUANTITIES = COLUMNS[2:]
# Positive scale quantities: ratios and log2 slopes make sense for these only.
SCALE = ("preact_var", "preact_m2", "act_var", "act_m2", "act_unit_var", "grad_act_m2", "grad_preact_m2",
         "grad_preact_var", "grad_w_m2", "grad_w_var", "grad_b_m2", "weight_var", "grad_weight_ratio")
AT_INPUT = ("act_mean", "act_var", "act_m2", "act_unit_var", "grad_act_m2", "nonfinite")  # have a layer-0 value
REFERENCES = ("input", "output", "first_hidden")
KEYS = ("name", "quantity", "relative_to", "min", "max", "slope_log2", "layers")
SELECTORS = ("all", "hidden", "output")


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


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ActinitError(f"{where}: expected a finite number, got {type_name(value)} ({value!r})")
    return float(value)


def _bounds(raw: Mapping, where: str) -> tuple[float | None, float | None]:
    lo, hi = _number(raw.get("min"), f"{where}.min"), _number(raw.get("max"), f"{where}.max")
    if lo is None and hi is None:
        raise ActinitError(f"{where}: give min, max or both")
    if lo is not None and hi is not None and lo > hi:
        raise ActinitError(f"{where}: min ({lo:g}) > max ({hi:g}); swap them")
    return lo, hi


def _layers(value: Any, where: str) -> Any:
    if value in SELECTORS:
        return value
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                                 for v in value):
        return sorted(set(value))
    if isinstance(value, dict) and set(value) == {"from", "to"} and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value.values()) \
            and value["from"] <= value["to"]:
        return dict(value)
    raise ActinitError(f"{where}: expected all, hidden, output, a list of layer numbers or "
                       f"{{from: a, to: b}} with a <= b, got {value!r}")


def validate_one(raw: Any, path: str, where: Callable[[str], str] = str) -> dict:
    """One check mapping, fully resolved (every key present); errors name the file, line and field."""
    try:
        return _validate_one(raw, path)
    except ActinitError as exc:
        field, _, rest = str(exc).partition(": ")
        raise ActinitError(f"{where(field)}: {rest}") from None


def _validate_one(raw: Any, where: str) -> dict:
    if not isinstance(raw, dict):
        raise ActinitError(f"{where}: a check is a mapping like {{quantity: act_m2, max: 10}}, got {type_name(raw)}")
    for key in raw:
        if key not in KEYS:
            raise ActinitError(f"{where}.{key}: unknown key{did_you_mean(str(key), KEYS) or '; allowed: ' + ', '.join(KEYS)}")
    q = raw.get("quantity")
    if q not in QUANTITIES:
        hint = did_you_mean(str(q), QUANTITIES) or f"; one of {', '.join(QUANTITIES)}"
        raise ActinitError(f"{where}.quantity: unknown quantity {q!r}{hint}")
    ref = raw.get("relative_to")
    if ref is not None:
        if ref not in REFERENCES:
            raise ActinitError(f"{where}.relative_to: got {ref!r}, expected one of {', '.join(REFERENCES)}")
        if q not in SCALE:
            raise ActinitError(f"{where}.relative_to: makes no sense for {q} (not a positive scale); "
                               f"bound it absolutely")
        if ref == "input" and q not in AT_INPUT:
            raise ActinitError(f"{where}.relative_to: {q} has no value at the input (layer 0); use first_hidden")
    slope = raw.get("slope_log2")
    if slope is not None:
        return _slope_check(raw, q, ref, slope, where)
    lo, hi = _bounds(raw, where)
    return {"name": _name(raw, where), "quantity": q, "relative_to": ref, "min": lo, "max": hi,
            "slope_log2": None, "layers": _layers(raw.get("layers", "all"), f"{where}.layers")}


def _slope_check(raw: Mapping, q: str, ref: Any, slope: Any, where: str) -> dict:
    if raw.get("min") is not None or raw.get("max") is not None:
        raise ActinitError(f"{where}: bound either the values (min/max) or the slope (slope_log2), not both; "
                           f"write two checks")
    if ref is not None:
        raise ActinitError(f"{where}.relative_to: a reference does not change a slope; remove it")
    if q not in SCALE:
        raise ActinitError(f"{where}.slope_log2: needs a positive scale quantity (e.g. act_m2), got {q}")
    if not isinstance(slope, dict) or set(slope) - {"min", "max"}:
        raise ActinitError(f"{where}.slope_log2: expected {{min: ..., max: ...}}, got {slope!r}")
    lo, hi = _bounds(slope, f"{where}.slope_log2")
    return {"name": _name(raw, where), "quantity": q, "relative_to": None, "min": None, "max": None,
            "slope_log2": {"min": lo, "max": hi}, "layers": _layers(raw.get("layers", "hidden"), f"{where}.layers")}


def _name(raw: Mapping, where: str) -> str | None:
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise ActinitError(f"{where}.name: expected a string, got {type_name(name)}")
    return name


def validate(raw: Any, where: Callable[[str], str] = str) -> list[dict]:
    """The whole `checks:` section (absent: no checks); `where(path)` adds the file and line to a path."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ActinitError(f"{where('checks')}: expected a list of checks, got {type_name(raw)}")
    return [validate_one(item, f"checks[{i}]", where) for i, item in enumerate(raw)]


def schema() -> dict:
    bound = {"type": "number"}
    return {"type": "array", "description": "variance gates evaluated by `actinit check`", "items": {
        "type": "object", "required": ["quantity"], "additionalProperties": False, "properties": {
            "name": {"type": "string"}, "quantity": {"enum": list(QUANTITIES)},
            "relative_to": {"enum": [*REFERENCES, None]}, "min": bound, "max": bound,
            "slope_log2": {"type": "object", "additionalProperties": False,
                           "properties": {"min": bound, "max": bound}},
            "layers": {"anyOf": [{"enum": list(SELECTORS)}, {"type": "array", "items": {"type": "integer"}},
                                 {"type": "object", "properties": {"from": {"type": "integer"},
                                                                   "to": {"type": "integer"}}}]}}}}


def label(check: Mapping) -> str:
    """A short human name (the bound has a column of its own): 'act_m2/input', 'slope_log2(act_m2)',
    with the layers when they are not the default; or the check's own `name`."""
    if check.get("name"):
        return check["name"]
    q = check["quantity"] + (f"/{check['relative_to']}" if check["relative_to"] else "")
    text = f"slope_log2({q})" if check["slope_log2"] else q
    default = "hidden" if check["slope_log2"] else "all"
    layers = check["layers"]
    if layers != default:
        text += f" @ {layers if isinstance(layers, str) else _layer_text(layers)}"
    return text


def _layer_text(layers: Any) -> str:
    if isinstance(layers, dict):
        return f"layers {layers['from']}..{layers['to']}"
    return "layers " + ",".join(str(x) for x in layers)


def interval(lo: float | None, hi: float | None) -> str:
    """'[0.1, 10]', '<= 0' or '>= 1'."""
    if lo is None:
        return f"<= {hi:g}"
    if hi is None:
        return f">= {lo:g}"
    return f"[{lo:g}, {hi:g}]"


def select(selector: Any, rows: list[dict]) -> list[int]:
    """Layer numbers a selector names (all, hidden, output, a list, {from, to})."""
    top = len(rows) - 1
    if selector == "all":
        return list(range(top + 1))
    if selector == "hidden":
        return list(range(1, top))
    if selector == "output":
        return [top]
    chosen = selector if isinstance(selector, list) else list(range(selector["from"], selector["to"] + 1))
    missing = [layer for layer in chosen if layer > top]
    if missing:
        raise ActinitError(f"checks: layer {missing[0]} does not exist (the network has layers 0..{top})")
    return chosen


def value(row: Mapping, quantity: str) -> float | None:
    v = row.get(quantity)
    return None if v is None or v == "" else float(v)


def evaluate(check: Mapping, rows: list[dict], target: str = "") -> Result:
    """Evaluate one resolved check against one table of rows."""
    name = label(check)
    q = check["quantity"]
    if rows and q not in rows[0]:
        return Result(target, name, False, None, None, "", f"{q} is missing from layers.csv")
    if check["slope_log2"]:
        return _evaluate_slope(check, rows, target, name)
    layers = select(check["layers"], rows)
    explicit = check["layers"] != "all"
    values = {layer: value(rows[layer], q) for layer in layers}
    if not explicit:
        values = {k: v for k, v in values.items() if v is not None}
    if not values or all(v is None for v in values.values()):
        return Result(target, name, False, None, None, interval(check["min"], check["max"]),
                      f"{q} is empty: no layer has a value")
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
                      f"all {len(values)} layers within {bound}; closest to the bound: layer {worst}")
    first = min(bad)
    v = bad[first]
    what = ("has no value" if v is None else "is not finite" if not math.isfinite(v)
            else f"is {v:.4g}, below min {lo:g}" if lo is not None and v < lo else f"is {v:.4g}, above max {hi:g}")
    return Result(target, name, False, worst, values[worst], bound,
                  f"layer {first} {what} ({len(bad)} of {len(values)} layers outside {bound}; "
                  f"worst layer {worst}: {_show(values[worst])})")


def _excess(v: float | None, lo: float | None, hi: float | None, log: bool) -> float:
    """How far v sits beyond its bounds (negative inside; +inf when missing or not finite): in doublings
    for positive scales with positive bounds, else in the quantity's own units."""
    if v is None or not math.isfinite(v):
        return math.inf
    if log:
        if v <= 0:
            return math.inf
        return max(math.log2(lo / v) if lo is not None else -math.inf,
                   math.log2(v / hi) if hi is not None else -math.inf)
    return max(lo - v if lo is not None else -math.inf, v - hi if hi is not None else -math.inf)


def _show(v: float | None) -> str:
    return "no value" if v is None else f"{v:.4g}"


def _evaluate_slope(check: Mapping, rows: list[dict], target: str, name: str) -> Result:
    q, bounds = check["quantity"], check["slope_log2"]
    layers = select(check["layers"], rows)
    values = [value(rows[layer], q) for layer in layers]
    bound = interval(bounds["min"], bounds["max"])
    bad = [(layer, v) for layer, v in zip(layers, values) if v is None or not math.isfinite(v) or v <= 0]
    if len(layers) < 2 or bad:
        why = ("needs at least 2 layers" if len(layers) < 2 else
               f"layer {bad[0][0]} has {q} = {_show(bad[0][1])}, which has no log2")
        return Result(target, name, False, bad[0][0] if bad else None, None, bound, f"cannot fit a slope: {why}")
    slope = float(np.polyfit(np.asarray(layers, float), np.log2(np.asarray(values, float)), 1)[0])
    ok = (bounds["min"] is None or slope >= bounds["min"]) and (bounds["max"] is None or slope <= bounds["max"])
    verdict = "within" if ok else "outside"
    return Result(target, name, ok, None, slope, bound,
                  f"fitted slope {slope:+.4f} log2 per layer over layers {layers[0]}..{layers[-1]}, {verdict} {bound}")
