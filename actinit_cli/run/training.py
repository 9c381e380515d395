"""The spec's `train:` section (`actinit train`): what to learn, for how long, with which optimizer, validated
completely before anything runs; the data-dependent rules (a csv's target column, labels against the loss,
the model's input and output widths) are checked when the data is read (train/data.py), still before any
step. `actinit run` ignores the section (with a warning).
"""

from __future__ import annotations

from typing import Any, Callable

from actinit_cli.errors import ActinitError
from actinit_cli.nn import optimizers, tasks
from actinit_cli.nn.registry import as_float, did_you_mean, shown, type_name
from actinit_cli.run.fields import Field, _ref_schema, check_value, json_schema_of, number_schema

FIELDS: dict[str, Field] = {
    "steps": Field("int", 200, "optimizer steps", 1, 10_000_000),
    "batch_size": Field("int", 128, "samples per step (at most the training split)", 1, 10_000_000),
    "eval_every": Field("int", 50, "full statistics on the held-out split every N steps (and at the last)", 1,
                        10_000_000),
    "target_loss": Field("number", None, "steps_to_loss: the first evaluated step whose train loss is at or below "
                         "this", 0.0, nullable=True),
}
OPTIMIZER_DEFAULT = {"name": "sgd", "lr": 0.01}
TEST_FRACTION = 0.2
FILES = {"file": ("file",), "csv": ("csv", "target")}  # a user's own data: .npz with x and y, or a csv's columns
KEYS = ("task", "optimizer", "test_fraction", *FIELDS)


def validate(raw: Any, where: Callable[[str], str] = str) -> dict | None:
    """The whole `train:` section resolved (defaults filled in); None when the spec has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ActinitError(f"{where('train')}: expected a mapping (task:, steps:, optimizer: ...), got {type_name(raw)}")
    for key in raw:
        if key not in KEYS:
            hint = did_you_mean(str(key), KEYS) or f"; allowed here: {', '.join(KEYS)}"
            raise ActinitError(f"{where(f'train.{key}')}: unknown key{hint}")
    if "task" not in raw:
        raise ActinitError(f"{where('train.task')}: missing; one of {', '.join(tasks.REGISTRY.names())}, "
                           f"{{file: data.npz}} or {{csv: data.csv, target: y}}")
    out: dict[str, Any] = {"task": task(raw["task"], where("train.task"))}
    for key, f in FIELDS.items():
        value = raw.get(key, f.default)
        out[key] = None if value is None and f.nullable else check_value(f"train.{key}", f, value, where(f"train.{key}"))
    entry, params = optimizers.REGISTRY.resolve(raw.get("optimizer", OPTIMIZER_DEFAULT), where("train.optimizer"))
    out["optimizer"] = {"name": entry.name, **params}
    out["test_fraction"] = _fraction(raw.get("test_fraction", TEST_FRACTION), where("train.test_fraction"))
    return out


def task(value: Any, where: str) -> Any:
    """A named task ({name: ..., parameters} resolved with every parameter) or a user's file, as written."""
    if isinstance(value, dict) and set(value) & set(FILES):
        kind = next(k for k in FILES if k in value)
        extra = set(value) - set(FILES[kind])
        missing = [k for k in FILES[kind] if not isinstance(value.get(k), str) or not value.get(k)]
        if extra or missing:
            want = ", ".join(f"{k}: ..." for k in FILES[kind])
            raise ActinitError(f"{where}: a {kind} task is {{{want}}} (strings), got {shown(value, 80)}")
        return dict(value)
    entry, params = tasks.REGISTRY.resolve(value, where)
    return {"name": entry.name, **params} if params else entry.name


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ActinitError(f"{where}: expected a number between 0 and 1, got {type_name(value)} ({shown(value)})")
    value = as_float(value, where)
    if not 0 < value < 1:
        raise ActinitError(f"{where}: must be between 0 and 1 (exclusive), got {shown(value)}")
    return value


def schema() -> dict:
    """The JSON Schema of `train:` (the resolved form actinit writes back validates too)."""
    files = [{"type": "object", "additionalProperties": False, "required": list(keys),
              "properties": {k: {"type": "string", "minLength": 1} for k in keys}} for keys in FILES.values()]
    return {"type": "object", "additionalProperties": False, "required": ["task"],
            "description": "a short training run (actinit train): task, steps, optimizer",
            "properties": {"task": {"oneOf": _ref_schema(tasks.REGISTRY) + files},
                           "optimizer": {"oneOf": _ref_schema(optimizers.REGISTRY)},
                           "test_fraction": {"description": "held-out share of the samples",
                                             **number_schema({"exclusiveMinimum": 0, "exclusiveMaximum": 1})},
                           **{k: json_schema_of(f) for k, f in FIELDS.items()}}}
