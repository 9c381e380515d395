"""Bad registry references, generated from the registries themselves (a new entry or parameter is tested for
free): a misspelt name, a parameter the entry does not take, and for every parameter wrong types, nulls,
nan/inf and values just outside its range. Each goes through a spec (`run`) and through `--param` on the
command line (`sample` for initializers; `gain` and `phase` for activations)."""

from __future__ import annotations

import math
import re

import pytest
import yaml

from actinit_cli.nn import activations, initializers
from tests.hostile.commands import invoke_spec
from tests.hostile.harness import ids, refused


def bad_values(p) -> list[tuple[str, object]]:
    """Values `p` must refuse: wrong types and null for every kind, then out-of-range or unknown choices."""
    if p.kind is bool:
        return [("number", 3), ("text", "maybe"), ("null", None)]
    if p.kind is str:
        return [("unknown choice", p.choices[0] + "x"), ("number", 3), ("null", None)]
    out = [("text", "abc"), ("bool", True), ("list", [1]), ("null", None), ("nan", math.nan), ("inf", math.inf)]
    if p.low is not None:
        out.append(("at the open minimum", p.low) if p.low_open else ("below the minimum", p.low - 1))
    if p.high is not None:
        out.append(("above the maximum", p.high + 1))
    return out


def ref_cases(registry, skip: tuple[str, ...] = ()) -> list[tuple]:
    """(id, reference, what the message must name) for every entry of a registry."""
    cases = []
    for name, entry in registry.entries.items():
        if name in skip:
            continue
        cases.append((f"{name} misspelt", name[:-1] + "x" + name[-1], r"unknown .*did you mean '" + name))
        cases.append((f"{name} unknown parameter", {"name": name, "bogus": 1}, r"has no parameter 'bogus'"))
        for p in entry.params:
            cases += [(f"{name}.{p.name} {label}", {"name": name, p.name: value}, re.escape(p.name))
                      for label, value in bad_values(p)]
    return cases


INITIALIZERS = ref_cases(initializers.REGISTRY) + [
    ("random_uniform minval = maxval", {"name": "random_uniform", "minval": 1, "maxval": 1}, r"minval.*maxval"),
    ("random_uniform minval > maxval", {"name": "random_uniform", "minval": 1, "maxval": -1}, r"minval.*maxval"),
    ("name is a mapping", {"name": {"name": "he_normal"}}, r"name"),
    ("no name", {"scale": 2}, r"'name'"),
]
ACTIVATIONS = ref_cases(activations.REGISTRY) + [
    ("name is a list", {"name": ["relu"]}, r"name"),
    ("no name", {"negative_slope": 0.1}, r"'name'"),
]


def cli_value(value: object) -> str:
    """How a user would type the value after `-p key=` (YAML flow style)."""
    return yaml.safe_dump(value, default_flow_style=True).split("\n...")[0].strip()


def cli_args(ref: object) -> tuple[str, list[str]]:
    """(name, ['-p', 'k=v', ...]) for a reference."""
    if isinstance(ref, str):
        return ref, []
    params = [x for k, v in ref.items() if k != "name" for x in ("-p", f"{k}={cli_value(v)}")]
    return ref["name"], params


# (id, spec field, reference, what the message must name): every initializer case in model.initializer, the
# names and unknown parameters in model.bias_initializer too (the same validation); every activation case in
# model.activation and model.output_activation.
IN_SPEC = ([(case, "model.initializer", ref, m) for case, ref, m in INITIALIZERS]
           + [(case, "model.bias_initializer", ref, m) for case, ref, m in INITIALIZERS
              if case.endswith(("unknown parameter", "misspelt"))]
           + [(case, field, ref, m) for case, ref, m in ACTIVATIONS
              for field in ("model.activation", "model.output_activation")])
# On the command line a reference is a name and -p key=value pairs: only cases with a name.
ON_CLI_INIT = [c for c in INITIALIZERS if isinstance(c[1], str) or isinstance(c[1].get("name"), str)]
ON_CLI_ACT = [c for c in ACTIVATIONS if isinstance(c[1], str) or isinstance(c[1].get("name"), str)]


@pytest.mark.parametrize("case, field, ref, match", IN_SPEC, ids=ids([(f"{c[1]}:{c[0]}",) for c in IN_SPEC]))
def test_reference_in_a_spec(cli, box, case, field, ref, match):
    r = invoke_spec(cli, box, "run", {"model": {field.split(".")[1]: ref}})
    refused(r, box, match if "misspelt" in case else re.escape(field) + ".*" + match)


@pytest.mark.parametrize("case, ref, match", ON_CLI_INIT, ids=ids(ON_CLI_INIT))
def test_initializer_on_the_command_line(cli, box, case, ref, match):
    name, params = cli_args(ref)
    box.seal()
    args = ["sample", name, "--shape", "4", "4", "--seed", "0", *params]
    refused(cli(*args, "--output", box.root / "w.npy", "--format", "npy"), box, match)


@pytest.mark.parametrize("command", ["gain", "phase"])
@pytest.mark.parametrize("case, ref, match", ON_CLI_ACT, ids=ids(ON_CLI_ACT))
def test_activation_on_the_command_line(cli, box, command, case, ref, match):
    name, params = cli_args(ref)
    box.seal()
    args = [command, name, *params] + (["--out", box.out, "--points", "3"] if command == "phase" else [])
    refused(cli(*args), box, match)
