"""The plain-MLP view: a model whose recorded modules are Linear, activation, Linear, activation, ..., Linear
(and optionally an output activation), each called once, each fed the previous one's output, is actinit's own
MLP. Its module rows then fold into actinit's per-layer rows, as layers.csv has them: layer l's pre-activation
h is Linear l's output, its activation y the module after it (none: identity, y = h)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from actinit_cli.nn import activations, stats
from actinit_cli.torch.kinds import activation_of
from actinit_cli.torch.record import Recorder, Site


@dataclass(frozen=True)
class Structure:
    """What the plain MLP is: sizes [input, hidden..., output], hidden and output activations (references), and
    whether each layer's Linear has a bias."""

    sizes: list[int]
    hidden: Any
    output: Any
    biases: tuple[bool, ...]

    def mlp_model(self) -> dict:
        """The spec's `model:` section of actinit's own MLP with this structure."""
        return {"depth": len(self.sizes) - 2, "width": self.sizes[1:-1], "input_dim": self.sizes[0],
                "output_dim": self.sizes[-1], "activation": self.hidden, "output_activation": self.output}


def _pairs(sites: list[Site]) -> list[tuple[Site, Site | None]] | None:
    """[(Linear, activation module or None)] per layer, or None when the sequence is not a plain MLP."""
    out, i = [], 0
    while i < len(sites):
        if sites[i].identity["type"] != "Linear":
            return None
        act = sites[i + 1] if i + 1 < len(sites) and activation_of(sites[i + 1].module) is not None else None
        out.append((sites[i], act))
        i += 2 if act is not None else 1
    if len(out) < 2 or any(a is None for _, a in out[:-1]):
        return None
    return out


def structure(rec: Recorder) -> Structure | None:
    """The plain MLP `rec` recorded, or None (not chained, a module used twice, other module types, ...)."""
    sites = list(rec.sites.values())
    if not sites or rec.skipped or not rec.ends_chain or \
            any(not s.chained or s.identity["call"] != 1 for s in sites):
        return None
    pairs = _pairs(sites)
    if pairs is None:
        return None
    hidden = {_key(activation_of(a.module)) for _, a in pairs[:-1]}
    if len(hidden) != 1:
        return None
    out_act = pairs[-1][1]
    linears = [lin.module for lin, _ in pairs]
    return Structure([linears[0].in_features] + [m.out_features for m in linears],
                     activation_of(pairs[0][1].module), activation_of(out_act.module) if out_act else "identity",
                     tuple(m.bias is not None for m in linears))


def input_gradient(model: Any) -> bool:
    """A first guess, from the model's modules, of whether a pass needs dL/dx (row 0's gradient): where the
    plain-MLP view may need it (every leaf module a Linear or an activation actinit knows) and where nothing else
    would carry a gradient (no trainable parameter). Elsewhere it is a backward pass through the first layer that
    no parameter needs (about 8 % of the example CNN's forward + backward, benchmarks/bench_torch.py), which torch
    skips for an input without requires_grad. A trial pass settles it (`needs_input_gradient`; torch/probe.py)."""
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    return all(type(m).__name__ == "Linear" or activation_of(m) is not None for m in leaves) or \
        not any(p.requires_grad for p in model.parameters())


def needs_input_gradient(rec: Recorder, output: Any) -> bool:
    """After a pass without dL/dx: whether the run must take it after all, because a recorded module's output
    had no gradient without it (a module before the first trainable parameter), the model's output was not
    differentiable, the recorded modules are a plain MLP (its layers.csv has layer 0's dL/dx), or a gradient
    reached x all the same (a forward that sets x.requires_grad itself, to differentiate with respect to it)."""
    return rec.ungraded or not output.requires_grad or structure(rec) is not None or rec.input.stats.grad_act.n > 0


def settle(guess: bool, run: Callable[[bool], tuple], fails: Any) -> tuple[bool, tuple]:
    """Run a pass, `run(grad)` -> (recorder, output, ...), with dL/dx as `guess` says; again with it where the pass
    raised one of `fails` (a forward may differentiate with respect to x) or shows it is needed
    (`needs_input_gradient`). Returns whether dL/dx was taken and what the last pass returned."""
    try:
        got = run(guess)
    except fails:
        if guess:
            raise
        got = None  # the pass with dL/dx raises again if the model fails for another reason
    if got is None or (not guess and needs_input_gradient(got[0], got[1])):
        return True, run(True)
    return guess, got


def _key(ref: Any) -> str:
    return repr(sorted(ref.items())) if isinstance(ref, dict) else str(ref)


def _merge(lin: stats.LayerStats, act: stats.LayerStats | None) -> stats.LayerStats:
    """Layer l's accumulators from Linear l (h, dL/dh, W, b) and its activation module (y, dL/dy, fractions)."""
    y = act if act is not None else lin
    return stats.LayerStats(
        lin.width, pre=lin.act, act=y.act, unit_var_sum=y.unit_var_sum, batches=y.batches, saturated=y.saturated,
        zero=y.zero, alive=y.alive, nonfinite=lin.nonfinite + (act.nonfinite if act is not None else 0),
        grad_act=y.grad_act, grad_pre=lin.grad_act, grad_w=lin.grad_w, grad_b=lin.grad_b, weight_var=lin.weight_var)


def layer_rows(rec: Recorder) -> list[dict] | None:
    """actinit's per-layer rows (layers.csv's measured columns) of a plain MLP, else None."""
    if structure(rec) is None:
        return None
    pairs = _pairs(list(rec.sites.values()))
    out = [stats.row(0, rec.input.stats, False)]
    for layer, (lin, act) in enumerate(pairs, start=1):
        merged = _merge(lin.stats, act.stats if act is not None else None)
        saturates = act is not None and activations.get(activation_of(act.module)).saturation is not None
        out.append(stats.row(layer, merged, saturates))
    return out


def layer_hists(rec: Recorder) -> tuple[dict, dict]:
    """The hidden layers' histogram samples (activations y, gradients dL/dh) keyed by layer, as actinit's MLP keeps them."""
    pairs = _pairs(list(rec.sites.values())) or []
    act, grad = {}, {}
    for layer, (lin, a) in enumerate(pairs[:-1], start=1):
        if a.identity["layer"] in rec.hist_act:
            act[layer] = rec.hist_act[a.identity["layer"]]
        if lin.identity["layer"] in rec.hist_grad:
            grad[layer] = rec.hist_grad[lin.identity["layer"]]
    return act, grad
