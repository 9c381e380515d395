"""Name lookup: one registry per kind, an alias dict, one `get`, typed parameters, did-you-mean errors.

A reference to a registered object is either a name (``"leaky_relu"``) or a mapping with a
``name`` and its parameters (``{name: leaky_relu, negative_slope: 0.1}``), never a string to parse.
"""

from __future__ import annotations

import difflib
import inspect
import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Generic, Iterable, Mapping, TypeVar

from actinit_cli.errors import ActinitError


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for the closest candidates, or ``""``."""
    word = str(word)
    pool = sorted(set(candidates))
    if not pool:
        return ""
    lower = {c.lower(): c for c in pool}  # case aside: torch's 'ReLU' -> 'relu', not 'elu' or 'selu'
    if word.lower() in lower:
        return f"; did you mean '{lower[word.lower()]}'?"
    close = [lower[c] for c in difflib.get_close_matches(word.lower(), list(lower), n=len(pool), cutoff=0.6)]
    # Same family first (the part before the first '_'): 'he_unnormal' -> he_normal, he_uniform.
    family = word.lower().split("_")[0]
    close = sorted(close, key=lambda c: c.lower().split("_")[0] != family)[:2]
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def shown(value: Any, limit: int = 40) -> str:
    """repr(value) for an error message, cut to `limit` characters (a 400-digit integer stays one short line)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's 4300-digit str limit
        return "an integer of more than 4300 digits"
    return text if len(text) <= limit else f"{text[:limit - 12]}...({len(text)} chars)"


def as_float(value: int | float, where: str) -> float:
    """A YAML number as a finite float, or an error naming the field (an integer beyond float's range
    would otherwise raise OverflowError)."""
    try:
        out = float(value)
    except OverflowError:
        raise ActinitError(f"{where}: {shown(value)} is beyond the float range (about 1.8e308)") from None
    if not math.isfinite(out):
        raise ActinitError(f"{where}: must be finite, got {shown(value)}")
    return out


def type_name(value: Any) -> str:
    """The YAML-facing name of a value's type, for error messages."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a mapping", type(None): "null"}
    return names.get(type(value), type(value).__name__)


_FROM_SIGNATURE: Any = object()  # a Param's default and kind come from its factory's signature


@dataclass(frozen=True)
class Param:
    """One parameter of a registered object: its allowed range or choices. Its default and type are read
    from the factory's signature when the Entry is built, so they are written exactly once."""

    name: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    doc: str = ""
    default: Any = _FROM_SIGNATURE
    kind: type = float

    def validate(self, value: Any, where: str) -> Any:
        """Return `value` converted to this parameter's type, or raise naming `where` and the fix."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ActinitError(f"{where}: expected true or false, got {type_name(value)} ({value!r})")
            return value
        if self.kind is str:
            if value not in self.choices:
                raise ActinitError(f"{where}: got {value!r}, expected one of "
                                   f"{', '.join(self.choices)}{did_you_mean(str(value), self.choices)}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ActinitError(f"{where}: expected a number, got {type_name(value)} ({shown(value)})")
        number = as_float(value, where)
        if self.kind is int and not number.is_integer():
            raise ActinitError(f"{where}: expected an integer, got {shown(value)}")
        value = int(value) if self.kind is int else number
        self._check_range(value, where)
        return value

    def _check_range(self, value: float, where: str) -> None:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            op = ">" if self.low_open else ">="
            raise ActinitError(f"{where}: must be {op} {self.low:g}, got {shown(value)}")
        if self.high is not None and value > self.high:
            raise ActinitError(f"{where}: must be <= {self.high:g}, got {shown(value)}")

    def describe(self) -> str:
        """`name=default` with the allowed choices, for help tables."""
        text = f"{self.name}={self.default!r}" if self.kind is str else f"{self.name}={self.default}"
        return text + (f" ({'|'.join(self.choices)})" if self.choices else "")


T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered factory: `make(**params)` builds the object; `check` validates parameter combinations;
    `formula` and `pairing` are its help text (`actinit list`) when the object does not carry its own.

    Every keyword of `make` must be declared as a Param (and nothing else): each Param's default and
    type are taken from the signature here."""

    name: str
    make: Callable[..., T]
    params: tuple[Param, ...] = ()
    check: Callable[[Mapping[str, Any]], str | None] | None = None
    formula: str = ""
    pairing: str = ""

    def __post_init__(self) -> None:
        signature = inspect.signature(self.make).parameters
        declared = {p.name for p in self.params}
        assert declared == set(signature), f"{self.name}: params {sorted(declared)} != signature {sorted(signature)}"
        resolved = []
        for p in self.params:
            default = signature[p.name].default
            assert default is not inspect.Parameter.empty, f"{self.name}.{p.name}: the factory needs a default"
            kind = type(default) if isinstance(default, (bool, str, int)) else float
            resolved.append(replace(p, default=default, kind=kind))
        object.__setattr__(self, "params", tuple(resolved))


def split_ref(ref: Any, kind: str, field: str) -> tuple[str, dict]:
    """Split a reference (a name, or a mapping with `name` and parameters) into (name, params)."""
    if isinstance(ref, str):
        return ref, {}
    if isinstance(ref, Mapping):
        if "name" not in ref:
            raise ActinitError(f"{field}: a mapping needs a 'name' key, e.g. {{name: ..., <parameter>: ...}}")
        params = {k: v for k, v in ref.items() if k != "name"}
        if not isinstance(ref["name"], str):
            raise ActinitError(f"{field}.name: expected a string, got {type_name(ref['name'])}")
        return ref["name"], params
    raise ActinitError(f"{field}: expected {kind} name or a mapping {{name: ..., ...}}, got {type_name(ref)}")


class Registry(Generic[T]):
    """Every entry of one kind, looked up by its own name or an alias."""

    def __init__(self, kind: str, entries: Iterable[Entry[T]], aliases: Mapping[str, str]):
        self.kind = kind
        self.entries = {e.name: e for e in entries}
        self.aliases = dict(aliases)
        unknown = set(self.aliases.values()) - set(self.entries)
        assert not unknown, f"aliases point at unregistered names: {unknown}"

    def names(self) -> list[str]:
        """Canonical names, in registration order."""
        return list(self.entries)

    def aliases_of(self, name: str) -> list[str]:
        return [a for a, target in self.aliases.items() if target == name]

    def entry(self, name: str, field: str | None = None) -> Entry[T]:
        """The entry for a name or alias; an unknown name lists the valid ones and the closest."""
        canonical = self.aliases.get(name, name)
        if canonical in self.entries:
            return self.entries[canonical]
        where = f"{field}: " if field else ""
        valid = self.names() + list(self.aliases)
        raise ActinitError(f"{where}unknown {self.kind} '{name}'{did_you_mean(name, valid)} "
                           f"(valid: {', '.join(self.names())}; see `actinit list {self.kind}s`)")

    def resolve(self, ref: Any, field: str | None = None) -> tuple[Entry[T], dict]:
        """Validate a reference: the entry and its complete parameters (defaults filled in)."""
        label = field or self.kind
        name, given = split_ref(ref, self.kind, label)
        entry = self.entry(name, field)
        known = {p.name: p for p in entry.params}
        for key in given:
            if key not in known:
                hint = did_you_mean(key, known) or (
                    f"; it takes {', '.join(known)}" if known else "; it takes no parameters")
                raise ActinitError(f"{label}: {self.kind} '{entry.name}' has no parameter '{key}'{hint}")
        sep = " " if label.startswith("--") else "."  # "--param scale" on the CLI, "model.initializer.scale" in YAML
        params = {p.name: p.validate(given[p.name], f"{label}{sep}{p.name}") if p.name in given else p.default
                  for p in entry.params}
        problem = entry.check(params) if entry.check else None
        if problem:
            raise ActinitError(f"{label}: {problem}")
        return entry, params

    def short_name(self, ref: Any) -> str:
        """A resolved reference for titles and tables: its name, with only the parameters that differ
        from their defaults ('leaky_relu(negative_slope=0.2)')."""
        if isinstance(ref, str):
            return ref
        entry = self.entries[ref["name"]]
        changed = [f"{p.name}={ref[p.name]}" for p in entry.params if ref.get(p.name) != p.default]
        return ref["name"] + (f"({', '.join(changed)})" if changed else "")

    def get(self, ref: Any, field: str | None = None) -> T:
        """Build the object a reference names, with validated parameters."""
        entry, params = self.resolve(ref, field)
        return entry.make(**params)
