"""Module rows (modules.csv): one per call of a leaf module in forward order, after row 0, the input. Their
identity columns are this table; their statistics are layers.csv's own columns (nn/columns.py), filled where
they apply (`applies`). Also the `layers:` selector by module name (glob) or type, for checks and recording."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Mapping

from actinit_cli.errors import ActinitError
from actinit_cli.nn import activations, headline as headlines
from actinit_cli.nn.columns import AT_INPUT, MEASURED
from actinit_cli.nn.registry import type_name


@dataclass(frozen=True)
class Identity:
    """One identity column of modules.csv."""

    name: str
    meaning: str
    integer: bool = False


IDENTITY: tuple[Identity, ...] = (
    Identity("layer", "row number: 0 = the input, then 1, 2, ... each recorded module call in forward order", True),
    Identity("module", "the module's qualified name in the model (named_modules); (input) for row 0"),
    Identity("type", "the module's class name (Conv2d, ReLU, ...); empty for row 0"),
    Identity("call", "1 for the module's first call in a forward pass, 2 for its second (a module used twice)", True),
    Identity("shape", "the output's shape per sample, e.g. 16x32x32"),
    Identity("activation", "the name of the actinit activation an elementwise activation module computes (for "
             "saturated_frac; its parameters are the module's)"),
    Identity("weight", "the shape of the module's `weight` parameter (empty: none)"),
    Identity("bias", "the shape of the module's `bias` parameter (empty: none)"),
)
IDENTITY_NAMES = tuple(c.name for c in IDENTITY)
NEVER = ("preact_mean", "preact_var", "preact_m2", "grad_preact_m2", "grad_preact_var",  # a module has one output
         "branch_share", "norm_in_m2")  # and is no block of actinit's own (nn/blocks.py)
STATS = tuple(c for c in MEASURED if c != "layer" and c not in NEVER)  # width, then layers.csv's measured columns
COLUMNS = IDENTITY_NAMES + STATS  # modules.csv, in file order
TEXT = tuple(c.name for c in IDENTITY if not c.integer)  # read back as text, not numbers
WEIGHT = ("weight_var", "grad_w_m2", "grad_w_var", "grad_weight_ratio")


def saturates(row: Mapping) -> bool:
    """Whether the row's module is an activation with a saturation bound (sigmoid, tanh, ...; by its name)."""
    name = row.get("activation") or ""
    return bool(name) and activations.get(name).saturation is not None


def applies(quantity: str, row: Mapping) -> bool:
    """Whether a module row has a value for `quantity` by construction (an empty cell elsewhere is missing data)."""
    if row["layer"] == 0:  # dL/dx only where it is measured (torch/fold.py's input_gradient; a note says so)
        return quantity in AT_INPUT and (quantity != "grad_act_m2" or row.get(quantity) not in (None, ""))
    if quantity in NEVER:
        return False
    if quantity in WEIGHT:
        return bool(row.get("weight"))
    if quantity == "grad_b_m2":
        return bool(row.get("bias"))
    if quantity == "saturated_frac":
        return saturates(row)
    if quantity in ("dead_frac", "zero_frac"):  # counted on activation modules' outputs and the model's output
        return bool(row.get("activation")) or row.get(quantity) not in (None, "")
    return True


def selector(value: Any, where: str) -> dict:
    """{type: Conv2d or [Conv2d, Linear]} and/or {name: 'layer*.conv*' or [globs]}: lists of strings."""
    if not isinstance(value, dict) or not value or set(value) - {"type", "name"}:
        raise ActinitError(f"{where}: expected {{type: Conv2d}}, {{name: 'features.*'}} or both, got {value!r}")
    out = {}
    for key, item in value.items():
        items = item if isinstance(item, list) else [item]
        if not items or not all(isinstance(i, str) and i for i in items):
            raise ActinitError(f"{where}.{key}: expected a string or a list of strings, got {type_name(item)} "
                               f"({item!r})")
        out[key] = list(items)
    return out


def is_selector(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= {"type", "name"}


def matches(row: Mapping, chosen: Mapping) -> bool:
    """Whether a module row is selected: its type is one of `type` and its name matches one of the `name` globs."""
    if row["layer"] == 0:
        return False
    return ("type" not in chosen or row["type"] in chosen["type"]) and \
        ("name" not in chosen or any(fnmatchcase(row["module"], g) for g in chosen["name"]))


def headline(rows: list[dict]) -> dict:
    """nn/headline.py's headline over module rows, with dL/d(output) where layer rows have dL/dh."""
    return headlines.headline([{**r, "grad_preact_m2": r["grad_act_m2"]} for r in rows])


def selector_schema() -> dict:
    names = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
    return {"type": "object", "additionalProperties": False, "minProperties": 1,
            "properties": {"type": names, "name": names}}


def markdown() -> str:
    """The README's table of modules.csv's identity columns (a test keeps the README equal to it)."""
    return "\n".join(["| column | meaning |", "|---|---|"] + [f"| `{c.name}` | {c.meaning} |" for c in IDENTITY])
