"""What each hidden layer is: per-layer overrides (`model.layers`) and blocks (`model.block`), checked against
the depth and the widths, every error naming the field and its YAML line; and the per-layer lookups the
runner, the theory overlay, the checks and the report share.

An override sets, for one layer (`at: 3`) or an inclusive range (`at: "20-32"`) of hidden layers 1..depth,
any of width, activation, initializer and bias_initializer; every layer takes at most one override.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from actinit_cli.errors import ActinitError
from actinit_cli.nn import activations, initializers
from actinit_cli.nn.activations import Activation
from actinit_cli.nn.architecture import Architecture
from actinit_cli.nn.distributions import Initializer
from actinit_cli.nn.registry import did_you_mean, shown, type_name
from actinit_cli.run import expression
from actinit_cli.run.fields import FIELDS, Field, check_value

Where = Callable[[str], str]
OVERRIDE_KEYS = ("width", "activation", "initializer", "bias_initializer")  # what model.layers may set per layer
RANGE = re.compile(r"\s*(\d{1,6})\s*-\s*(\d{1,6})\s*")  # "20-32"
WIDTH = Field("int", None, "", FIELDS["model.width"].minimum, FIELDS["model.width"].maximum)
DEFAULT_BRANCH = list(FIELDS["model.block.branch"].default)
NORM_LABELS = {"layer": "LayerNorm", "rms": "RMSNorm", "batch": "BatchNorm"}


def span(at: int | str) -> range:
    """The hidden layers an override's `at` names (validated: an int or 'first-last')."""
    if isinstance(at, int):
        return range(at, at + 1)
    first, last = RANGE.fullmatch(at).groups()  # type: ignore[union-attr]
    return range(int(first), int(last) + 1)


def _at(value: Any, depth: int, where: str) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        first = last = value
    elif isinstance(value, str) and RANGE.fullmatch(value):
        first, last = (int(g) for g in RANGE.fullmatch(value).groups())  # type: ignore[union-attr]
        if first > last:
            raise ActinitError(f"{where}: range {value!r} runs backwards; write it first-last, e.g. '{last}-{first}'")
    else:
        raise ActinitError(f"{where}: expected a hidden layer number or a range 'first-last' (e.g. 3 or '20-32'), "
                           f"got {shown(value)}")
    if not 1 <= first <= last <= depth:
        raise ActinitError(f"{where}: {shown(value)} is beyond the hidden layers 1..{depth} (model.depth)")
    return first if first == last else f"{first}-{last}"


def _override(item: Any, depth: int, here: str, where: Where) -> dict:
    if not isinstance(item, dict):
        raise ActinitError(f"{where(here)}: expected a mapping {{at: ..., width/activation/initializer/"
                           f"bias_initializer: ...}}, got {type_name(item)}")
    for key in item:
        if key != "at" and key not in OVERRIDE_KEYS:
            hint = did_you_mean(str(key), ("at", *OVERRIDE_KEYS)) or f"; allowed: at, {', '.join(OVERRIDE_KEYS)}"
            raise ActinitError(f"{where(f'{here}.{key}')}: unknown key{hint}")
    if "at" not in item:
        raise ActinitError(f"{where(here)}: needs at: (a hidden layer 1..{depth} or a range 'first-last')")
    out: dict[str, Any] = {"at": _at(item["at"], depth, where(f"{here}.at"))}
    if len(item) == 1:
        raise ActinitError(f"{where(here)}: sets nothing; give at least one of {', '.join(OVERRIDE_KEYS)}")
    for key in OVERRIDE_KEYS:
        if key in item:
            field = WIDTH if key == "width" else FIELDS[f"model.{key}"]
            out[key] = check_value(f"model.{key}", field, item[key], where(f"{here}.{key}"))
    if "activation" in out and activations.get(out["activation"]).output_only:
        raise ActinitError(f"{where(f'{here}.activation')}: softmax is for output layers only")
    return out


def overrides(raw: Any, depth: int, where: Where) -> list[dict]:
    """model.layers validated and normalised; a layer named twice is an error naming both overrides."""
    if not isinstance(raw, list):
        raise ActinitError(f"{where('model.layers')}: expected a list of overrides, got {type_name(raw)}")
    taken: dict[int, int] = {}
    out = []
    for i, item in enumerate(raw):
        out.append(_override(item, depth, f"model.layers[{i}]", where))
        for layer in span(out[-1]["at"]):
            if layer in taken:
                raise ActinitError(f"{where(f'model.layers[{i}].at')}: layer {layer} is also set by model.layers"
                                   f"[{taken[layer]}]; overrides must not overlap")
            taken[layer] = i
    return out


def resolve(spec: dict, where: Where) -> None:
    """Apply model.layers to the resolved model (width per layer) and check model.block against it."""
    m = spec["model"]
    m["layers"] = overrides(m["layers"], m["depth"], where)
    for item in m["layers"]:
        for layer in span(item["at"]) if "width" in item else ():
            m["width"][layer - 1] = item["width"]
    _check_block(spec, where)


def _check_block(spec: dict, where: Where) -> None:
    m, b = spec["model"], spec["model"]["block"]
    alpha = expression.evaluate(b["alpha"], m["depth"], where("model.block.alpha"))
    plain = not b["residual"] and b["norm"] == "none"
    if not b["residual"] and alpha != 1:
        raise ActinitError(f"{where('model.block.alpha')}: multiplies a residual branch; set model.block.residual: "
                           f"true, or leave alpha at 1")
    if plain and b["branch"] != DEFAULT_BRANCH:
        raise ActinitError(f"{where('model.block.branch')}: applies to residual or normalized blocks (a plain MLP is "
                           f"dense then activation in every layer); set model.block.residual: true or model.block.norm")
    if b["norm"] == "batch" and spec["data"]["batch_size"] < 2:
        raise ActinitError(f"{where('model.block.norm')}: batch normalization needs at least 2 samples per batch; "
                           f"raise data.batch_size")
    if b["residual"]:
        _equal_widths(m, where)


def _equal_widths(m: dict, where: Where) -> None:
    """x + alpha F(x) adds arrays of one width: the input and every hidden layer must share it (an override's
    width is compared with the layers it leaves alone)."""
    overridden = {layer for item in m["layers"] if "width" in item for layer in span(item["at"])}
    kept = [w for layer, w in enumerate(m["width"], start=1) if layer not in overridden]
    n = kept[0] if kept else m["width"][0]
    for i, item in enumerate(m["layers"]):
        if "width" in item and item["width"] != n:
            raise ActinitError(f"{where(f'model.layers[{i}].width')}: {item['width']} differs from the width {n}; "
                               f"a residual network needs equal widths (input_dim = width)")
    if m["input_dim"] is not None and m["input_dim"] != n:
        raise ActinitError(f"{where('model.input_dim')}: {m['input_dim']} differs from the width {n}; a residual "
                           f"network adds each block's input to its output, so input_dim must equal the width")
    if len(set(m["width"])) > 1:
        raise ActinitError(f"{where('model.width')}: widths {min(m['width'])}..{max(m['width'])}; a residual network "
                           f"adds each block's input to its output, so every layer (and input_dim) needs one width")


def per_layer(model: Mapping, key: str) -> list[Any]:
    """The value of `key` (activation, initializer, bias_initializer) for hidden layers 1..depth."""
    values = [model[key]] * len(model["width"])  # the resolved widths: one per hidden layer
    for item in model.get("layers") or ():
        for layer in span(item["at"]) if key in item else ():
            values[layer - 1] = item[key]
    return values


def value_at(model: Mapping, key: str, layer: int) -> Any:
    """The value of `key` at hidden layer `layer` (one lookup: the overrides are few, the layers may be many)."""
    for item in model.get("layers") or ():
        if key in item and layer in span(item["at"]):
            return item[key]
    return model[key]


def hidden_activations(model: Mapping) -> list[Activation]:
    """The activation of hidden layers 1..depth."""
    return [activations.get(a) for a in per_layer(model, "activation")]


def initializers_of(model: Mapping, key: str) -> list[Initializer]:
    """The initializer (`key`: initializer or bias_initializer) of W[1..depth+1]: the output layer takes the
    model's own (overrides name hidden layers only)."""
    return [initializers.get(i) for i in per_layer(model, key)] + [initializers.get(model[key])]


def of(model: Mapping) -> Architecture:
    """The resolved model's blocks (alpha evaluated at its depth)."""
    b = model["block"]
    return Architecture(b["residual"], expression.evaluate(b["alpha"], model["depth"], "model.block.alpha"),
                        b["norm"], b["norm_position"], tuple(b["branch"]))


def describe(model: Mapping) -> str:
    """One phrase for titles: '' for a plain MLP, else e.g. 'residual, alpha 0.125, pre-LayerNorm, act-dense'."""
    a = of(model)
    if a.plain:
        return ""
    parts = [f"residual, alpha {a.alpha:.4g}" if a.residual else "no residual"]
    parts += [f"{a.position}-{NORM_LABELS[a.norm]}"] if a.norm != "none" else []
    return ", ".join(parts + ["-".join(a.branch)])
