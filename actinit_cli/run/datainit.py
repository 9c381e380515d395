"""Initializers that need data (LSUV, nn/lsuv.py): refused where they cannot work when the spec loads, and
resolved by the runner on the run's first input batch (the batch the run itself starts with)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn import initializers, lsuv
from actinit_cli.nn.distributions import Initializer
from actinit_cli.run import structure

if TYPE_CHECKING:
    from actinit_cli.nn import mlp

Where = Callable[[str], str]
NAME = "lsuv"


def _named(ref: Any) -> bool:
    """Whether a resolved reference (a canonical name or {name: ..., parameters}) is LSUV."""
    return (ref.get("name") if isinstance(ref, dict) else ref) == NAME


def validate(resolved: Mapping[str, Any], where: Where) -> None:
    """LSUV rescales dense weights of actinit's plain MLP; not biases, torch models or networks of blocks."""
    m = resolved["model"]
    if m.get("torch"):
        if _named(m.get("initializer")):
            raise ActinitError(f"{where('model.initializer')}: lsuv is resolved on actinit's own MLP only, not a torch "
                               f"model; use its base (e.g. orthogonal)")
        return
    overrides = [(f"model.layers[{i}].{k}", o[k]) for i, o in enumerate(m["layers"]) for k in o if "initializer" in k]
    named = [(f"model.{k}", m[k]) for k in ("initializer", "bias_initializer")] + overrides
    for field, ref in named:
        if _named(ref) and field.endswith("bias_initializer"):
            raise ActinitError(f"{where(field)}: lsuv rescales weight matrices; give biases another initializer "
                               f"(zeros, as the paper)")
    if any(_named(ref) for _, ref in named) and not structure.of(m).plain:
        field = next(f for f, ref in named if _named(ref))
        raise ActinitError(f"{where(field)}: lsuv is resolved for plain MLPs only, not networks of blocks "
                           f"(model.block); use its base (e.g. orthogonal)")


def layers(model: Mapping) -> dict[int, lsuv.Layer]:
    """The weight matrices W^l (l = 1..depth+1) that LSUV rescales, with their tol and max_iter."""
    inits = structure.initializers_of(model, "initializer")
    return {l: lsuv.Layer(i.params["tol"], i.params["max_iter"]) for l, i in enumerate(inits, start=1) if i.name == NAME}


def base(init: Initializer) -> Initializer:
    """What the network is drawn with: LSUV's base initializer, any other initializer itself."""
    return initializers.get(init.params["base"]) if init.name == NAME else init


def resolve(net: mlp.Network, model: Mapping, x: np.ndarray) -> tuple[mlp.Network, list[str]]:
    """The network with its LSUV layers rescaled on the batch `x`, and a note of what it took."""
    wanted = layers(model)
    if not wanted:
        return net, []
    net, report = lsuv.fit(net, x, wanted)
    iters = [t for t, _ in report.values()]
    off = [l for l, (_, v) in report.items() if not abs(v - 1) < wanted[l].tol]
    rescaled = sum(t > 0 for t in iters)
    others = "" if rescaled == len(iters) else "; the others were within tol already"
    note = (f"lsuv (Mishkin & Matas 2016): {len(report)} layers fitted on the first batch, {rescaled} of them rescaled "
            f"({sum(iters)} rescalings, at most {max(iters)} per layer{others}); Var h "
            f"per layer {min(v for _, v in report.values()):.4f}..{max(v for _, v in report.values()):.4f}")
    if off:
        note += f"; not within tol after max_iter: layers {', '.join(map(str, off))}"
    return net, [note]
