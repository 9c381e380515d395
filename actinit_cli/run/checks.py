"""Variance gates: the `checks:` section of a spec, evaluated against layers.csv rows.

A check bounds one quantity, either per layer (`min`/`max`, optionally `relative_to` a reference
layer) or as the least-squares slope of log2(quantity) against layer (`slope_log2`), which at finite
width is far steadier than any single layer's value. A check never passes on missing data.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from actinit_cli.nn import activations
from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import as_float, did_you_mean, shown, type_name
from actinit_cli.nn import scalars
from actinit_cli.nn.columns import AT_INPUT, QUANTITIES, SCALE
from actinit_cli.run import structure
from actinit_cli.run.fields import number_schema
from actinit_cli.torch import rows as module_rows

REFERENCES = ("input", "output", "first_hidden")
KEYS = ("name", "quantity", "relative_to", "min", "max", "slope_log2", "layers")
RUN = "run"  # the `layers` of a check on a run-level quantity (nn/scalars.py)
SELECTORS = ("all", "hidden", "output")


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ActinitError(f"{where}: expected a finite number, got {type_name(value)} ({shown(value)})")
    return as_float(value, where)


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
    if module_rows.is_selector(value):  # a torch model's modules by type and/or name glob
        return module_rows.selector(value, where)
    raise ActinitError(f"{where}: expected all, hidden, output, a list of layer numbers, "
                       f"{{from: a, to: b}} with a <= b, or (torch models) {{type: Conv2d}} / {{name: 'glob'}}, "
                       f"got {value!r}")


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
    if q in scalars.NAMES:
        return _scalar_check(raw, q, where)
    if q not in QUANTITIES:
        known = QUANTITIES + scalars.NAMES
        hint = did_you_mean(str(q), known) or f"; one of {', '.join(known)}"
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


def _scalar_check(raw: Mapping, q: str, where: str) -> dict:
    """A run-level quantity (nn/scalars.py): one number per run, bounded by min/max only."""
    allowed = {"relative_to": None, "slope_log2": None, "layers": RUN}  # what the resolved form writes
    extra = [k for k, v in allowed.items() if raw.get(k, v) not in (None, v)]
    if extra:
        raise ActinitError(f"{where}.{extra[0]}: {q} is one number per run (not per layer); bound it with min/max")
    lo, hi = _bounds(raw, where)
    return {"name": _name(raw, where), "quantity": q, "relative_to": None, "min": lo, "max": hi,
            "slope_log2": None, "layers": RUN}


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
    """The JSON Schema of `checks:`, accepting the resolved form actinit writes back (nulls included)."""
    bound = {"anyOf": [*number_schema()["anyOf"], {"type": "null"}]}
    layer = {"type": "integer", "minimum": 0}
    return {"type": "array", "description": "variance gates evaluated by `actinit check`", "items": {
        "type": "object", "required": ["quantity"], "additionalProperties": False, "properties": {
            "name": {"type": ["string", "null"]}, "quantity": {"enum": [*QUANTITIES, *scalars.NAMES]},
            "relative_to": {"enum": [*REFERENCES, None]}, "min": bound, "max": bound,
            "slope_log2": {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False,
                                                        "properties": {"min": bound, "max": bound}}]},
            "layers": {"anyOf": [{"enum": [*SELECTORS, RUN]}, {"type": "array", "items": layer, "minItems": 1},
                                 {"type": "object", "required": ["from", "to"], "additionalProperties": False,
                                  "properties": {"from": layer, "to": layer}},
                                 module_rows.selector_schema()]}}}}  # a torch model's modules by type/name


def label(check: Mapping) -> str:
    """A short human name (the bound has a column of its own): 'act_m2/input', 'slope_log2(act_m2)',
    with the layers when they are not the default; or the check's own `name`."""
    if check.get("name"):
        return check["name"]
    if check["layers"] == RUN:
        return check["quantity"]
    q = check["quantity"] + (f"/{check['relative_to']}" if check["relative_to"] else "")
    text = f"slope_log2({q})" if check["slope_log2"] else q
    default = "hidden" if check["slope_log2"] else "all"
    layers = check["layers"]
    if layers != default:
        text += f" @ {layers if isinstance(layers, str) else _layer_text(layers)}"
    return text


def _layer_text(layers: Any) -> str:
    if module_rows.is_selector(layers):
        return " ".join(f"{k}={','.join(v)}" for k, v in layers.items())
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


def select(selector: Any, top: int, rows: list[Mapping] | None = None) -> list[int]:
    """Layer numbers a selector names (all, hidden, output, a list, {from, to}; with a torch model's module
    `rows`, {type: ...} / {name: ...}) in a network whose output layer (last row) is `top`."""
    if module_rows.is_selector(selector):
        if rows is None:
            raise ActinitError("checks: {type: ...} and {name: ...} select the modules of a torch: model; this "
                               "spec is actinit's own MLP (select layers by number)")
        return [r["layer"] for r in rows if module_rows.matches(r, selector)]
    if selector == "all":
        return list(range(top + 1))
    if selector == "hidden":
        return list(range(1, top))
    if selector == "output":
        return [top]
    ends = selector if isinstance(selector, list) else [selector["from"], selector["to"]]
    missing = [layer for layer in ends if layer > top]  # before a range is built: `to` may be 10**21
    if missing:
        raise ActinitError(f"checks: layer {shown(missing[0])} does not exist (the network has layers 0..{top})")
    return selector if isinstance(selector, list) else list(range(selector["from"], selector["to"] + 1))


def applies(quantity: str, layer: int, model: Mapping, rows: list[Mapping] | None = None) -> bool:
    """Whether layers.csv has a value for `quantity` at `layer` by construction (an empty cell elsewhere
    is missing data): the input has only activation statistics and dL/dx; saturated_frac exists only
    for an activation with a saturation bound. A torch model's module rows say it themselves."""
    if "torch" in model:
        return module_rows.applies(quantity, rows[layer])
    if layer == 0:
        return quantity in AT_INPUT
    top = len(model["width"]) + 1
    if quantity in ("branch_share", "norm_in_m2"):  # a block's row: residual blocks, blocks with a norm
        block = model.get("block") or {}
        return layer < top and (bool(block.get("residual")) if quantity == "branch_share" else
                                block.get("norm", "none") != "none")
    if quantity == "saturated_frac":
        act = model["output_activation"] if layer == top else structure.value_at(model, "activation", layer)
        return activations.get(act).saturation is not None
    return True


def validate_against(checks: list[dict], model: Mapping, where: Callable[[str], str] = str,
                     rows: list[Mapping] | None = None) -> None:
    """The checks' layer choices against the network (a torch model's: its module `rows`, known once probed):
    layers that exist, at least two for a slope, something left besides the reference layer, unique names."""
    top = len(rows) - 1 if rows is not None else len(model["width"]) + 1
    names = [label(c) for c in checks]
    for i, check in enumerate(checks):
        if names.count(names[i]) > 1:
            raise ActinitError(f"{where(f'checks[{i}]')}: two checks are named {names[i]!r}; give one a name: ...")
        if check["layers"] == RUN:
            continue
        field = where(f"checks[{i}].layers")
        try:
            layers = select(check["layers"], top, rows)
        except ActinitError as exc:
            raise ActinitError(f"{field}: {str(exc).split(': ', 1)[1]}") from None
        if not layers:
            raise ActinitError(f"{field}: selects nothing in this model; check the type and name")
        if check["slope_log2"] and len(layers) < 2:
            raise ActinitError(f"{field}: a slope needs at least 2 layers, got {layers}")
        ref = {"input": 0, "output": top, "first_hidden": 1}.get(check["relative_to"])
        if ref is not None and set(layers) <= {ref}:
            raise ActinitError(f"{field}: only the reference layer ({check['relative_to']}) is selected; "
                               f"select other layers to compare with it")
