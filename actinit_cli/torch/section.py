"""The spec's `model.torch:` section and `data.input.torch:`, validated without importing torch (a saved run
is re-read without it). A torch spec keeps of `model:` only the keys below; the factory is imported later,
when the run is prepared (torch/probe.py)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Callable

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import did_you_mean, shown, type_name
from actinit_cli.torch import rows

MODEL_KEYS = ("torch", "initializer", "bias_initializer", "dtype")  # what `model:` of a torch spec may set
KEYS = ("factory", "kwargs", "input_shape", "layers", "folder", "input_gradient")
INPUT_GRADIENT = ("auto", "always")  # dL/dx where something needs it (torch/fold.py), or in every pass
REFERENCE = re.compile(r"(?P<module>[^:\s]+):(?P<name>[A-Za-z_][A-Za-z0-9_]*)")  # module.path:function or file.py:function
SWEEPABLE = ("model.torch.kwargs.", "model.torch.input_shape", "model.torch.layers")  # beside the spec's own fields
SWEEP_PATTERN = r"^model\.torch\.(kwargs\..+|input_shape|layers)$"  # the same, for the JSON Schema

Where = Callable[[str], str]


def is_torch(raw: Any) -> bool:
    """Whether a raw spec mapping names a torch model."""
    return isinstance(raw, dict) and isinstance(raw.get("model"), dict) and "torch" in raw["model"]


def split(raw: dict, where: Where) -> dict:
    """Take the torch-only parts out of `raw` (in place; pass a copy) so the rest validates as usual: model.torch,
    data.input.torch, and initializers left null. Returns them (validated later by `resolve`)."""
    model = raw["model"]
    for key in model:
        if key not in MODEL_KEYS:
            raise ActinitError(f"{where(f'model.{key}')}: describes actinit's own MLP, not a torch: model; remove "
                               f"it (a torch spec's model: takes {', '.join(MODEL_KEYS)})")
    parts = {"torch": model.pop("torch")}
    for key in ("initializer", "bias_initializer"):
        if model.get(key, None) is None:
            model.pop(key, None)
            parts[key] = None  # keep the model's own
    data_input = raw.get("data", {}).get("input") if isinstance(raw.get("data"), dict) else None
    if isinstance(data_input, dict) and "torch" in data_input:
        others = [k for k in data_input if k != "torch"]
        if others:
            raise ActinitError(f"{where(f'data.input.{others[0]}')}: does not apply when data.input.torch draws "
                               f"the batches; remove it")
        parts["input"] = raw["data"].pop("input")["torch"]
    return parts


def resolve(resolved: dict, parts: dict, where: Where, folder: Path) -> None:
    """Put the validated torch parts into the resolved spec: model keeps MODEL_KEYS (initializers None = the
    model's own), data.input is {torch: ...} when the batches come from a function."""
    m = resolved["model"]
    for key in list(m):
        if key not in MODEL_KEYS:
            del m[key]
    for key in ("initializer", "bias_initializer"):
        if key in parts:
            m[key] = None
    m["torch"] = section(parts["torch"], where, folder)
    if "input" in parts:
        resolved["data"]["input"] = {"torch": reference(parts["input"], where("data.input.torch"))}


def section(raw: Any, where: Where, folder: Path) -> dict:
    """model.torch: {factory, kwargs, input_shape, layers, folder, input_gradient}, fully resolved (folder
    absolute)."""
    if not isinstance(raw, dict):
        raise ActinitError(f"{where('model.torch')}: expected a mapping {{factory: module:function, input_shape: "
                           f"[...]}}, got {type_name(raw)}")
    for key in raw:
        if key not in KEYS:
            raise ActinitError(f"{where(f'model.torch.{key}')}: unknown key"
                               f"{did_you_mean(str(key), KEYS) or '; allowed here: ' + ', '.join(KEYS)}")
    for key in ("factory", "input_shape"):
        if raw.get(key) is None:
            raise ActinitError(f"{where(f'model.torch.{key}')}: required (see the README's PyTorch section)")
    kwargs = raw.get("kwargs") or {}
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise ActinitError(f"{where('model.torch.kwargs')}: expected a mapping of keyword arguments, got {kwargs!r}")
    layers = raw.get("layers")
    dx = input_gradient(raw.get("input_gradient", None), where("model.torch.input_gradient"))
    return {"factory": reference(raw["factory"], where("model.torch.factory")), "kwargs": copy.deepcopy(kwargs),
            "input_shape": shape(raw["input_shape"], where("model.torch.input_shape")),
            "layers": None if layers is None else rows.selector(layers, where("model.torch.layers")),
            "folder": str((folder / str(raw.get("folder") or ".")).resolve()), "input_gradient": dx}


def input_gradient(value: Any, where: str) -> str:
    """auto (also when absent: None) or always; anything else (false, 0, [], ...) is refused, not read as auto."""
    if value is None:
        return "auto"
    if not (isinstance(value, str) and value in INPUT_GRADIENT):
        raise ActinitError(f"{where}: expected auto (dL/dx where something needs it) or always, got {shown(value)}")
    return value


def reference(value: Any, where: str) -> str:
    """'package.module:function' or 'path/to/file.py:function' (relative to the spec's folder)."""
    if not isinstance(value, str) or not REFERENCE.fullmatch(value):
        raise ActinitError(f"{where}: expected 'module:function' (e.g. mymodels.resnet:make_model) or "
                           f"'file.py:function', got {value!r}")
    return value


def shape(value: Any, where: str) -> list[int]:
    if not (isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                                      for v in value)):
        raise ActinitError(f"{where}: expected the per-sample input shape as a list of positive integers "
                           f"(e.g. [3, 32, 32]; the batch comes from data.batch_size), got {value!r}")
    return list(value)


def sweepable(path: str) -> bool:
    """Sweep paths a torch spec adds: any factory keyword (model.torch.kwargs.NAME), the input shape, the filter."""
    return any(path.startswith(p) if p.endswith(".") else path == p for p in SWEEPABLE) and \
        path != "model.torch.kwargs."


def schema() -> dict:
    """JSON Schema of model.torch (for `actinit schema`)."""
    return {"type": "object", "description": "a PyTorch model from a factory (see the README's PyTorch section)",
            "required": ["factory", "input_shape"], "additionalProperties": False, "properties": {
                "factory": {"type": "string", "pattern": REFERENCE.pattern},
                "kwargs": {"type": ["object", "null"]},
                "input_shape": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
                "layers": {"anyOf": [{"type": "null"}, rows.selector_schema()]},
                "folder": {"type": ["string", "null"]},
                "input_gradient": {"enum": [*INPUT_GRADIENT, None]}}}
