"""YAML experiment specs to validated, fully resolved objects, checked completely before any computation.

Every error names the field path and, where it can, the YAML line: ``spec.yaml:7: model.depth: ...``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from actinit_cli.nn import activations, losses
from actinit_cli.run import analysis, checks, datainit, structure, training, yamlio
from actinit_cli.errors import ActinitError
from actinit_cli.run.fields import FIELDS, check_value, json_schema_of, sweep_schema, validate_sweep
from actinit_cli.nn.registry import did_you_mean, type_name
from actinit_cli.torch import section as torch_section


@dataclass(frozen=True)
class Section:
    """A top-level section validated by a module of its own (checks, sweep)."""

    validate: Callable[[Any, Callable[[str], str]], Any]  # (raw value or None, where(path) -> label) -> value
    schema: Callable[[], dict]


SECTIONS: dict[str, Section] = {"checks": Section(checks.validate, checks.schema),
                                "sweep": Section(validate_sweep, sweep_schema),
                                "train": Section(training.validate, training.schema)}


@dataclass(frozen=True)
class Spec:
    """A validated experiment; `resolved` is the complete nested mapping written to spec.yaml, `raw` the
    mapping as written (sweeps override paths in it before validating each point)."""

    resolved: Mapping[str, Any]
    raw: Mapping[str, Any] | None = None
    lines: Any = None  # the YAML's line numbers (_Lines), so errors found later can point into the file

    def where(self, path: str) -> str:
        """'spec.yaml:4: model.torch.factory': a field's label for an error message."""
        return self.lines.where(path) if self.lines is not None else f"{self.name}: {path}"

    @property
    def torch(self) -> Mapping[str, Any] | None:
        """The model.torch section of a spec that measures a PyTorch model (None: actinit's own MLP)."""
        return self.resolved["model"].get("torch")

    def __getitem__(self, path: str) -> Any:
        node: Any = self.resolved
        for part in path.split("."):
            node = node[part]
        return node

    @property
    def name(self) -> str:
        return self.resolved["name"]

    @property
    def sizes(self) -> list[int]:
        """[input_dim, hidden widths..., output_dim]."""
        m = self.resolved["model"]
        return [m["input_dim"], *m["width"], m["output_dim"]]


def folder(source: str) -> Path:
    """The spec file's folder (relative paths in the spec start there); the working directory otherwise."""
    path = Path(source)
    return path.parent.resolve() if path.is_file() else Path.cwd()


def folder_of(spec: Spec) -> Path:
    """Where a spec's relative paths start: its file's folder, a sweep point's spec's, else the working directory."""
    return _start(spec.lines)


def _start(lines: yamlio.Lines | None) -> Path:
    if lines is None:
        return Path.cwd()
    return lines.folder or folder(lines.source)


def load(path: str | Path) -> Spec:
    """Read and validate a spec file."""
    path = Path(path)
    return parse(yamlio.read_text(path), source=str(path), default_name=path.stem)


def parse(text: str, source: str = "<spec>", default_name: str = "run") -> Spec:
    """Validate YAML text (see `load`)."""
    node, raw = yamlio.compose(text, source)
    return validate(raw if raw is not None else {}, yamlio.Lines(node, source), default_name)


def from_mapping(raw: Mapping[str, Any], source: str = "<spec>", default_name: str = "run",
                 folder: Path | None = None) -> Spec:
    """Validate an already-loaded mapping (sweep points, tests); `folder`: where its relative paths start."""
    return validate(copy.deepcopy(dict(raw)), yamlio.Lines(None, source, folder), default_name)


def validate(raw: Any, lines: yamlio.Lines, default_name: str) -> Spec:
    if not isinstance(raw, dict):
        raise ActinitError(f"{lines.source}: a spec is a YAML mapping (name:, model:, data:, ...), got {type_name(raw)}")
    rest = copy.deepcopy(raw) if torch_section.is_torch(raw) else raw
    torch_parts = torch_section.split(rest, lines.where) if rest is not raw else None  # a PyTorch model: its own
    resolved = _walk(rest, "", lines)
    for key, section in SECTIONS.items():
        value = section.validate(raw.get(key), lines.where)
        if value is not None:  # an absent sweep stays absent
            resolved[key] = value
    if resolved["name"] == "":
        raise ActinitError(f"{lines.where('name')}: empty; give the run a name, or remove the key to use the "
                           f"file's stem ({default_name!r})")
    resolved["name"] = _name(resolved["name"] or default_name, lines.where("name"))
    if torch_parts is not None:
        torch_section.resolve(resolved, torch_parts, lines.where, _start(lines))
        raw["model"]["torch"]["folder"] = resolved["model"]["torch"]["folder"]  # sweep points import the same code
    else:
        _resolve_model(resolved, lines)
        checks.validate_against(resolved["checks"], resolved["model"], lines.where)
    analysis.validate(resolved, lines.where)
    datainit.validate(resolved, lines.where)
    return Spec(resolved, copy.deepcopy(raw), lines)


NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=,()+-]{0,199}")  # a folder name under runs/: no '/', no leading '.'


def _name(name: str, where: str) -> str:
    if not NAME.fullmatch(name):
        raise ActinitError(f"{where}: {name!r} is not usable as a folder name under runs/; use letters, digits "
                           f"and _ . = , ( ) + - (no '/', not starting with '.')")
    return name


def _children(prefix: str) -> set[str]:
    """Keys allowed directly under `prefix` ('' = top level)."""
    cut = len(prefix) + 1 if prefix else 0
    keys = {p[cut:].split(".")[0] for p in FIELDS if p.startswith(prefix + "." if prefix else "")}
    return keys | (set(SECTIONS) if not prefix else set())


def _walk(raw: dict, prefix: str, lines: yamlio.Lines) -> dict:
    """Validate one mapping level against FIELDS: unknown keys, types, defaults."""
    allowed = _children(prefix)
    for key in raw:
        if key not in allowed:
            path = f"{prefix}.{key}" if prefix else str(key)
            hint = did_you_mean(str(key), allowed) or f"; allowed here: {', '.join(sorted(allowed))}"
            raise ActinitError(f"{lines.where(path)}: unknown key{hint}")
    out: dict[str, Any] = {}
    for key in sorted(allowed - set(SECTIONS), key=_order):
        path = f"{prefix}.{key}" if prefix else key
        if path in FIELDS:
            f = FIELDS[path]
            value = raw[key] if key in raw else copy.deepcopy(f.default)
            out[key] = None if value is None and key not in raw else check_value(path, f, value, lines.where(path))
        else:
            sub = raw.get(key, {})
            if not isinstance(sub, dict):
                raise ActinitError(f"{lines.where(path)}: expected a mapping, got {type_name(sub)}")
            out[key] = _walk(sub, path, lines)
    return out


_ORDER = list(dict.fromkeys(part for path in FIELDS for part in path.split(".")))


def _order(key: str) -> int:
    """Keys in the order FIELDS declares them (spec.yaml reads like the README)."""
    return _ORDER.index(key) if key in _ORDER else len(_ORDER)


def _resolve_model(spec: dict, lines: yamlio.Lines) -> None:
    """Cross-field rules: widths per layer, per-layer overrides and blocks, default dims, softmax placement,
    loss/output pairing."""
    m = spec["model"]
    if isinstance(m["width"], list):
        if len(m["width"]) != m["depth"]:
            raise ActinitError(f"{lines.where('model.width')}: {len(m['width'])} widths for depth {m['depth']}; "
                               f"give one width per hidden layer or a single int")
    else:
        m["width"] = [m["width"]] * m["depth"]
    structure.resolve(spec, lines.where)  # model.layers and model.block, against the depth and widths
    m["input_dim"] = m["input_dim"] or m["width"][0]
    m["output_dim"] = m["output_dim"] or m["width"][-1]
    if activations.get(m["activation"]).output_only:
        raise ActinitError(f"{lines.where('model.activation')}: softmax is for output layers only; "
                           f"use it as model.output_activation")
    loss = losses.LOSSES[spec["loss"]]
    fused = loss.output
    if m["output_activation"] is None:
        m["output_activation"] = fused or "identity"
    out_name = activations.get(m["output_activation"]).name
    if fused and out_name != fused:
        raise ActinitError(f"{lines.where('model.output_activation')}: loss {spec['loss']} needs "
                           f"output_activation {fused}, got {out_name}; set it to {fused} or leave it out")
    if m["output_dim"] < loss.min_outputs:
        raise ActinitError(f"{lines.where('model.output_dim')}: {loss.name} needs at least {loss.min_outputs} "
                           f"classes; raise model.output_dim")


def json_schema() -> dict:
    """The spec's JSON Schema (draft 2020-12), built from the same FIELDS the validator uses."""
    root: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                            "title": "actinit experiment spec", "type": "object",
                            "additionalProperties": False, "properties": {}}
    for path, f in FIELDS.items():
        node = root
        for part in path.split(".")[:-1]:
            node = node["properties"].setdefault(part, {"type": "object", "additionalProperties": False,
                                                        "properties": {}})
        node["properties"][path.split(".")[-1]] = json_schema_of(f)
    for key, section in SECTIONS.items():
        root["properties"][key] = section.schema()
    model = root["properties"]["model"]["properties"]
    model["torch"] = torch_section.schema()
    for key in ("initializer", "bias_initializer"):  # null: a torch model keeps its own initialization
        model[key] = {"anyOf": [model[key], {"type": "null"}], "description": model[key]["description"]}
    root["properties"]["data"]["properties"]["input"]["properties"]["torch"] = {
        "type": "string", "description": "module:function returning a batch (x or (x, target)) for a torch model"}
    return root
