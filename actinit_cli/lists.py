"""`actinit list`: one rich table per kind of named thing (the registries and layers.csv's columns).
The face: it reads the core's tables and never computes. `LISTS` is the one table of what can be listed."""

from __future__ import annotations

from typing import Callable

from rich.table import Table
from rich.text import Text

from actinit_cli.nn import activations, initializers, optimizers, tasks
from actinit_cli.nn.registry import Registry
from actinit_cli.terminal import console


def registry_table(reg: Registry, title: str) -> Table:
    """Every entry of a registry: name (aliases), formula, parameters and, when any entry has one, its pairing."""
    paired = any(e.pairing for e in reg.entries.values())
    t = Table(title=title, show_lines=False)
    t.add_column("name (aliases)", no_wrap=True)
    for col in ("formula", "parameters (defaults)", *(["pair with"] if paired else [])):
        t.add_column(col, overflow="fold")
    for name, entry in reg.entries.items():
        t.add_row(*_plain(_named(name, reg.aliases_of(name)), entry.formula,
                          ", ".join(p.describe() for p in entry.params), *([entry.pairing] if paired else [])))
    return t


def activation_table() -> Table:
    t = Table(title="activations (derivatives at kinks follow PyTorch/TensorFlow)")
    t.add_column("name (aliases)", no_wrap=True)
    for col in ("formula", "at the kink", "parameters", "init family", "saturated when"):
        t.add_column(col, overflow="fold")
    reg = activations.REGISTRY
    for name, entry in reg.entries.items():
        act = entry.make()
        t.add_row(*_plain(_named(name, reg.aliases_of(name)), act.formula, act.kink_rule,
                          ", ".join(p.describe() for p in entry.params), act.family, saturation_rule(act)))
    return t


def saturation_rule(act: activations.Activation) -> str:
    if act.saturation is None:
        return ""
    lo, hi = act.saturation
    parts = ([f"y <= {lo:g}"] if lo is not None else []) + ([f"y >= {hi:g}"] if hi is not None else [])
    return " or ".join(parts)


def column_table() -> Table:
    """layers.csv's columns (the table in nn/columns.py): name, meaning, and how checks may use it."""
    from actinit_cli.nn.columns import TABLE

    t = Table(title="layers.csv columns (empty cell: does not apply)")
    for col in ("column", "meaning", "kind"):
        t.add_column(col, overflow="fold", no_wrap=col == "column")
    for c in TABLE:
        kind = ", ".join(k for k, on in (("integer", c.integer), ("positive scale", c.scale),
                                         ("at the input", c.at_input), ("theory", c.theory)) if on)
        t.add_row(*_plain(c.name, c.meaning, kind))
    return t


def _plain(*cells: str) -> list[Text]:
    """Cells as written: rich would read E[y^2] in a meaning as a markup tag and print E."""
    return [Text(c) for c in cells]


def _named(name: str, aliases: list[str]) -> str:
    return name + (f" ({', '.join(aliases)})" if aliases else "")


# What `actinit list KIND` shows, in its order; app.py's Kind names the same kinds (a test keeps them equal),
# and every registry's "see `actinit list <kind>s`" must be one of them (tests/test_cli_sample.py).
LISTS: dict[str, Callable[[], Table]] = {
    "initializers": lambda: registry_table(initializers.REGISTRY,
                                           "initializers (Keras 3 semantics; weights are (fan_in, fan_out))"),
    "activations": activation_table,
    "tasks": lambda: registry_table(tasks.REGISTRY, "training tasks (train.task)"),
    "optimizers": lambda: registry_table(optimizers.REGISTRY, "optimizers (train.optimizer)"),
    "columns": column_table,
}


def show_lists(kinds: list[str]) -> None:
    """`actinit list`: one table per kind."""
    out = console()
    for kind in kinds:
        out.print(LISTS[kind]())
