"""The spec's fields, declared once: validation, defaults, the README's table and `actinit schema` all read this.

A field is addressed by its dotted path (``model.activation``). Kinds: int, number, string (with
choices), bool, widths (an int or a list of ints), activation / initializer (a registered name or
{name: ..., parameters}), alpha (a number or an expression of depth, `run/expression.py`), branch (one of
the block branches), overrides (a list of per-layer overrides, checked against the depth by
`run/architecture.py`), and list (validated by a module of its own, e.g. checks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from actinit_cli.nn import activations, initializers, losses
from actinit_cli.errors import ActinitError
from actinit_cli.nn.architecture import BRANCHES, NORM_NAMES, POSITIONS
from actinit_cli.run import expression
from actinit_cli.nn.registry import as_float, did_you_mean, shown, type_name
from actinit_cli.torch import section as torch_section



@dataclass(frozen=True)
class Field:
    """One spec field: its kind, default, limits and a line of documentation."""

    kind: str
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False


FIELDS: dict[str, Field] = {
    "name": Field("string", None, "run name; default: the spec file's stem", nullable=True),
    "seed": Field("int", 0, "seed of every random number; repeat r uses seed + r", 0, 2**63 - 1),
    "repeats": Field("int", 1, "independent weight draws (and batches), pooled by mean", 1, 1000),
    "model.depth": Field("int", 20, "hidden layers", 1, 10_000),
    "model.width": Field("widths", 512, "hidden width: an int, or a list of `depth` widths", 1, 1_000_000),
    "model.input_dim": Field("int", None, "input features; default: the first width", 1, 1_000_000, nullable=True),
    "model.output_dim": Field("int", None, "outputs; default: the last width", 1, 1_000_000, nullable=True),
    "model.activation": Field("activation", "tanh", "hidden activation: a name or {name: ..., parameters}"),
    "model.initializer": Field("initializer", "glorot_normal", "weight initializer of every layer"),
    "model.bias_initializer": Field("initializer", "zeros", "bias initializer of every layer"),
    "model.output_activation": Field("activation", None, "identity; softmax for cross_entropy, sigmoid for "
                                     "binary_cross_entropy when left out", nullable=True),
    "model.dtype": Field("string", "float32", "float32 or float64", choices=("float32", "float64")),
    "model.layers": Field("overrides", [], "per-layer overrides: a list of {at: a hidden layer or 'first-last', and "
                          "any of width, activation, initializer, bias_initializer}"),
    "model.block.residual": Field("bool", False, "skip connections: x[l] = x[l-1] + alpha * branch(x[l-1]) (needs "
                                  "equal widths, input_dim included)"),
    "model.block.alpha": Field("alpha", 1.0, "the residual branch's multiplier: a number > 0 or an expression of "
                               "depth such as 1/sqrt(depth) (numbers, depth, + - * / ** and sqrt)"),
    "model.block.norm": Field("string", "none", "normalization in every block: none, layer, rms or batch (batch "
                              "statistics, as in training)", choices=NORM_NAMES),
    "model.block.norm_position": Field("string", "pre", "pre: the norm starts the branch; post: it follows the sum "
                                       "(ignored without a norm)", choices=POSITIONS),
    "model.block.branch": Field("branch", ["act", "dense"], "the branch's layers: [act, dense] (W phi(x) + b, the "
                                "exact mean-field case), [dense, act] or [act, dense, act, dense]"),
    "data.batch_size": Field("int", 1024, "samples per batch", 1, 10_000_000),
    "data.batches": Field("int", 1, "batches; statistics pool over them", 1, 100_000),
    "data.input.distribution": Field("string", "normal", "input distribution", choices=("normal", "uniform")),
    "data.input.mean": Field("number", 0.0, "input mean"),
    "data.input.std": Field("number", 1.0, "input standard deviation (uniform: the same std)", 0.0),
    "analysis.jacobian.samples": Field("int", 0, "inputs of the first batch whose input-output Jacobian spectrum "
                                       "is computed exactly (spectrum.csv, jac_* scalars); 0: off", 0, 4096),
    "loss": Field("string", "random_projection", "what backward starts from (formulas in the README); the default, "
                  "random_projection, is the mean-field convention", choices=tuple(losses.LOSSES)),
}


def check_value(path: str, f: Field, value: Any, where: str) -> Any:
    """Validate one value against its field; return it normalised (registered names made canonical)."""
    if value is None:
        if f.nullable:
            return None
        raise ActinitError(f"{where}: must not be null; leave it out for the default ({f.default!r})")
    if f.kind in ("activation", "initializer"):
        registry = activations.REGISTRY if f.kind == "activation" else initializers.REGISTRY
        entry, params = registry.resolve(value, where)
        return {"name": entry.name, **params} if params else entry.name
    if f.kind == "widths":
        return _widths(f, value, where)
    if f.kind in KINDS:
        return KINDS[f.kind](value, where)
    if f.kind == "string":
        if not isinstance(value, str) or value not in (f.choices or (value,)):
            hint = did_you_mean(str(value), f.choices) if f.choices else ""
            expected = f"one of {', '.join(f.choices)}" if f.choices else "a string"
            raise ActinitError(f"{where}: got {value!r}, expected {expected}{hint}")
        return value
    return _number(f, value, where)


def _number(f: Field, value: Any, where: str) -> Any:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if f.kind == "int" and not is_int:
        raise ActinitError(f"{where}: expected an integer, got {type_name(value)} ({shown(value)})")
    if f.kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ActinitError(f"{where}: expected a number, got {type_name(value)} ({shown(value)})")
    if f.kind == "number":
        value = as_float(value, where)
    if f.minimum is not None and value < f.minimum:
        raise ActinitError(f"{where}: must be >= {f.minimum:g}, got {shown(value)}")
    if f.maximum is not None and value > f.maximum:
        raise ActinitError(f"{where}: must be <= {f.maximum:g}, got {shown(value)}")
    return value


def _widths(f: Field, value: Any, where: str) -> Any:
    if isinstance(value, list):
        if not value:
            raise ActinitError(f"{where}: the list of widths is empty; give one width per hidden layer")
        return [_number(Field("int", None, "", f.minimum, f.maximum), v, f"{where}[{i}]") for i, v in enumerate(value)]
    return _number(Field("int", None, "", f.minimum, f.maximum), value, where)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ActinitError(f"{where}: expected true or false, got {type_name(value)} ({shown(value)})")
    return value


def _branch(value: Any, where: str) -> list[str]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value) and tuple(value) in BRANCHES):
        allowed = ", ".join(f"[{', '.join(b)}]" for b in BRANCHES)
        raise ActinitError(f"{where}: expected one of {allowed}; got {shown(value)}")
    return list(value)


def _overrides(value: Any, where: str) -> list:
    """A list of mappings; each one is checked against the depth, with its own line, by run/architecture.py."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ActinitError(f"{where}: expected a list of overrides {{at: 3 or '20-32', width/activation/"
                           f"initializer/bias_initializer: ...}}, got {shown(value)}")
    return value


KINDS = {"bool": _bool, "alpha": expression.normalise, "branch": _branch, "overrides": _overrides}


# A number written 1e-3: YAML 1.2 (editors) reads a float, YAML 1.1 (PyYAML) a string; actinit reads a number.
FLOAT_TEXT = {"type": "string", "pattern": r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"}


def number_schema(extra: dict | None = None) -> dict:
    """A float field: a number (with its bounds) or the exponent text YAML 1.1 leaves as a string."""
    return {"anyOf": [{"type": "number", **(extra or {})}, FLOAT_TEXT]}


def json_schema_of(f: Field) -> dict:
    """The JSON Schema fragment of one field."""
    base: dict[str, Any] = {"description": f.doc}
    if f.default is not None:
        base["default"] = f.default
    number = {k: v for k, v in (("minimum", f.minimum), ("maximum", f.maximum)) if v is not None}
    if f.kind == "int":
        base.update({"type": "integer", **number})
    elif f.kind == "number":
        base.update(number_schema(number))
    elif f.kind == "string":
        base.update({"type": "string", **({"enum": list(f.choices)} if f.choices else {})})
    elif f.kind == "widths":
        item = {"type": "integer", **number}
        base["oneOf"] = [item, {"type": "array", "items": item, "minItems": 1}]
    elif f.kind in SCHEMAS:
        base.update(SCHEMAS[f.kind]())
    elif f.kind in ("activation", "initializer"):
        hidden_only = f.kind == "activation" and not f.nullable  # softmax is for model.output_activation only
        base["oneOf"] = _ref_schema(activations.REGISTRY if f.kind == "activation" else initializers.REGISTRY,
                                    exclude=_output_only() if hidden_only else ())
    if f.nullable:
        base = {"anyOf": [base, {"type": "null"}], "description": f.doc}
    return base


def _override_schema() -> dict:
    at = {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\s*\d+\s*-\s*\d+\s*$"}]}
    item = {"type": "object", "required": ["at"], "additionalProperties": False, "minProperties": 2, "properties": {
        "at": at, "width": {"type": "integer", "minimum": FIELDS["model.width"].minimum,
                            "maximum": FIELDS["model.width"].maximum},
        **{k: json_schema_of(FIELDS[f"model.{k}"]) for k in ("activation", "initializer", "bias_initializer")}}}
    return {"type": "array", "items": item}


SCHEMAS = {
    "bool": lambda: {"type": "boolean"},
    "alpha": lambda: {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string"}]},
    "branch": lambda: {"enum": [list(b) for b in BRANCHES]},
    "overrides": _override_schema,
}


def _param_schema(p: Any) -> dict:
    bounds: dict[str, Any] = {}
    if p.low is not None:
        bounds["exclusiveMinimum" if p.low_open else "minimum"] = p.low
    if p.high is not None:
        bounds["maximum"] = p.high
    if p.kind is float:
        return {"default": p.default, **number_schema(bounds)}
    out: dict[str, Any] = {"type": {bool: "boolean", str: "string", int: "integer"}[p.kind], "default": p.default,
                           **bounds}
    if p.choices:
        out["enum"] = list(p.choices)
    return out


def _output_only() -> tuple[str, ...]:
    return tuple(n for n in activations.REGISTRY.names() if activations.get(n).output_only)


def _ref_schema(registry: Any, exclude: tuple[str, ...] = ()) -> list[dict]:
    """A name (or alias), or a mapping with one entry's name and only that entry's parameters."""
    names = [n for n in registry.names() if n not in exclude]
    objects = [{"type": "object", "required": ["name"], "additionalProperties": False,
                "properties": {"name": {"enum": [name, *registry.aliases_of(name)]},
                               **{p.name: _param_schema(p) for p in registry.entries[name].params}}}
               for name in names]
    aliases = [a for a in registry.aliases if registry.aliases[a] in names]
    return [{"type": "string", "enum": names + aliases}, *objects]


SWEEPABLE = tuple(p for p in FIELDS if p != "name")
TRAIN_PREFIX = "train."  # any path inside train: (train.optimizer.lr, train.task, ...): each point validates it
MAX_POINTS = 1000  # a larger sweep needs --yes
HARD_MAX_POINTS = 20_000  # refused even with --yes: split such a study into several sweeps


def validate_sweep(raw: Any, where: Any = str) -> dict[str, list] | None:
    """The `sweep:` section: spec paths mapped to non-empty lists (their values are validated per point)."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise ActinitError(f"{where('sweep')}: expected a mapping of spec paths to lists, e.g. "
                           f"{{model.activation: [tanh, relu]}}, got {shown(raw)}")
    for key, values in raw.items():
        if key not in SWEEPABLE and not torch_section.sweepable(str(key)) and not str(key).startswith(TRAIN_PREFIX):
            hint = did_you_mean(str(key), SWEEPABLE) or f"; sweepable: {', '.join(SWEEPABLE)}"
            raise ActinitError(f"{where(f'sweep.{key}')}: {str(key)!r} is not a spec path{hint}")
        if not isinstance(values, list) or not values:
            raise ActinitError(f"{where(f'sweep.{key}')}: expected a non-empty list of values, got {shown(values)}")
    return {k: list(v) for k, v in raw.items()}


def canonical(path: str, value: Any) -> str:
    """A sweep value as the validator resolves it, for spotting duplicates: an alias and its name, a
    reference with default parameters and the bare name, 0 and 0.0 compare equal. Invalid values keep
    their own text (their point is refused later, by name)."""
    try:
        value = check_value(path, FIELDS[path], value, path) if path in FIELDS else value  # torch: as written
    except ActinitError:
        pass
    return json.dumps(value, sort_keys=True, default=str)


def sweep_schema() -> dict:
    return {"type": "object", "description": "spec paths mapped to lists of values: `actinit sweep` runs "
            "their product", "additionalProperties": False,
            "properties": {p: {"type": "array", "minItems": 1} for p in SWEEPABLE},
            "patternProperties": {torch_section.SWEEP_PATTERN: {"type": "array", "minItems": 1},
                                  r"^train\.": {"type": "array", "minItems": 1}}}
