"""Forward hooks that measure a torch model's leaf modules with nn/stats.py's accumulators: each call's output
(`act_*`), dL/d(output) (`grad_act_m2`, from a hook on the output tensor) and, for modules with `weight` and
`bias` parameters, their statistics and their gradients'. Row 0 is the input x and dL/dx. Statistics are
taken on the tensors' NumPy views as (batch, units), units = every value of one sample's output. Saturated,
zero and dead counts are taken where they apply, as in actinit's MLP, whose every layer ends in an activation:
on the outputs of the activation modules actinit knows (kinds.py) and on the model's output."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from actinit_cli.nn import activations, stats, sums
from actinit_cli.torch import kinds, rows


@dataclass
class Site:
    """One row: a leaf module's k-th call in a forward pass (or the input), its accumulators and what it saw."""

    identity: dict
    module: Any = None
    saturation: tuple | None = None
    counts: bool = False  # saturated, zero and dead counts taken in the hook (an activation module's output)
    chained: bool = True  # every call's input was the previous row's output tensor (the plain-MLP test)
    stats: stats.LayerStats = field(default_factory=lambda: stats.LayerStats(0))


def flat(t: Any) -> np.ndarray:
    """A tensor as a (batch, units) NumPy array (a view when it is contiguous)."""
    a = t.detach().numpy()
    return a.reshape(a.shape[0] if a.ndim else 1, -1)


def _shape(shape: Any) -> str:
    return "x".join(str(n) for n in shape)


def _param(module: Any, name: str) -> Any:
    p = getattr(module, name, None)
    import torch

    return p if isinstance(p, torch.nn.Parameter) else None


class Recorder:
    """Hooks on the leaf modules of `model` (those `chosen` selects: {type: [...], name: [...]}, None = all)."""

    def __init__(self, model: Any, chosen: Mapping | None = None, keep_hist: bool = False):
        self.model, self.keep_hist = model, keep_hist
        self.sites: dict[tuple[str, int], Site] = {}
        self.input = Site({"layer": 0, "module": "(input)", "type": "", "call": 1, "shape": "", "activation": "",
                           "weight": "", "bias": ""})
        self.hist_act: dict[int, np.ndarray] = {}
        self.hist_grad: dict[int, np.ndarray] = {}
        self.skipped: set[str] = set()
        self.calls: dict[str, int] = {}
        self.last: Any = None  # the newest recorded output (the input at the start of a pass)
        self.last_site: Site | None = None  # the site that recorded it
        self.last_version: int | None = 0  # its in-place version counter then (an in-place op after the hook changes it)
        self.ends_chain = False  # the model's output was the last recorded module's (set by `finish`)
        self.input_grad = True  # x required grad (set by `start`)
        self.ungraded = False  # a recorded output did not require grad: only dL/dx would have given it one
        leaves = [(n or "(model)", m) for n, m in model.named_modules() if next(m.children(), None) is None]
        self.handles = [m.register_forward_hook(self._hook(name)) for name, m in leaves
                        if chosen is None or rows.matches({"layer": 1, "module": name, "type": type(m).__name__},
                                                          chosen)]

    def close(self) -> None:
        for h in self.handles:
            h.remove()

    def start(self, x: Any) -> Any:
        """Begin a batch: observe the input (row 0) and reset the per-pass call counts. Returns what to feed the
        model: x, or with dL/dx a copy that is not a leaf, so that the model may change its input in place
        (a first module that returns a view of it, then ReLU(inplace=True)) as it may without dL/dx."""
        fed = x.clone() if x.requires_grad else x
        self.calls, self.last, self.last_site = {}, fed, None
        self.input_grad = bool(x.requires_grad)  # dL/dx is measured (fold.input_gradient)
        a = flat(x)
        self.input.stats.width = a.shape[1]
        self.input.identity["shape"] = _shape(x.shape[1:])
        stats.observe(self.input.stats, None, a, None, fractions=False)
        return fed

    def finish(self, x: Any, output: Any) -> None:
        """End a batch after backward: dL/dx and every recorded module's parameter gradients; whether the model's
        output is the last row's (the plain-MLP test), unchanged since its hook (not `f(x).relu_()`)."""
        if x.grad is not None:
            stats.observe_grad(self.input.stats, flat(x.grad))
        self.ends_chain = output is self.last and self.last_site is not None and _version(output) == self.last_version
        if self.ends_chain and not self.last_site.counts:
            stats.count_fractions(self.last_site.stats, flat(output), None)  # the model's output: as the MLP's last layer
        grads: dict[int, tuple] = {}
        for site in self.sites.values():
            key = id(site.module)
            if key not in grads:
                w, b = _param(site.module, "weight"), _param(site.module, "bias")
                grads[key] = tuple(None if p is None or p.grad is None else flat(p.grad) for p in (w, b))
            dw, db = grads[key]
            if dw is not None or db is not None:
                stats.observe_grad(site.stats, None, None, dw, None if db is None else db.ravel())

    def _hook(self, name: str):
        def hook(module: Any, inputs: tuple, output: Any) -> None:
            if not _floating(output):
                self.skipped.add(name)  # a tuple, an int tensor, ...: nothing to measure as one output
                return
            k = self.calls[name] = self.calls.get(name, 0) + 1
            site = self.sites.get((name, k)) or self._site(name, k, module, output)
            site.chained &= bool(inputs) and inputs[0] is self.last
            self.last, self.last_site, self.last_version = output, site, _version(output)
            a = flat(output)
            stats.observe(site.stats, None, a, site.saturation, fractions=site.counts)
            layer = site.identity["layer"]
            if self.keep_hist and layer not in self.hist_act:
                head = stats.head_values(a)
                self.hist_act[layer] = head[head != 0]  # a relu's zeros pass through pooling, dropout, views
            if output.requires_grad:
                output.register_hook(lambda g, site=site: self._grad(site, g))
            else:
                self.ungraded = True
        return hook

    def _grad(self, site: Site, grad: Any) -> None:
        g = flat(grad)
        stats.observe_grad(site.stats, g)
        layer = site.identity["layer"]
        if self.keep_hist and layer not in self.hist_grad:
            self.hist_grad[layer] = stats.head_values(g)

    def _site(self, name: str, call: int, module: Any, output: Any) -> Site:
        ref = kinds.activation_of(module)
        act = activations.get(ref) if ref is not None else None
        w, b = _param(module, "weight"), _param(module, "bias")
        identity = {"layer": len(self.sites) + 1, "module": name, "type": type(module).__name__, "call": call,
                    "shape": _shape(output.shape[1:]), "activation": act.name if act else "",
                    "weight": _shape(w.shape) if w is not None else "", "bias": _shape(b.shape) if b is not None else ""}
        site = Site(identity, module, act.saturation if act else None, act is not None)
        site.stats.width = math.prod(output.shape[1:])
        if w is not None:  # in float64, as for actinit's own weights
            site.stats.weight_var = sums.variance([w.detach().numpy()])
        self.sites[(name, call)] = site
        return site

    def rows(self) -> list[dict]:
        """Row 0 (the input), then one row per module call: identity and measured columns."""
        out = [{**self.input.identity, **stats.row(0, self.input.stats, False)}]
        for site in self.sites.values():
            layer = site.identity["layer"]
            out.append({**site.identity, **stats.row(layer, site.stats, site.saturation is not None)})
        return out


def _version(t: Any) -> int | None:
    """A tensor's in-place version counter; None for a tensor made under torch.inference_mode(), which has none."""
    try:
        return t._version
    except RuntimeError:
        return None


def _floating(t: Any) -> bool:
    import torch

    return isinstance(t, torch.Tensor) and t.is_floating_point() and t.dim() >= 1
