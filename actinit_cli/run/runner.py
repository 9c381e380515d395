"""One experiment: spec -> networks -> random batches forward and backward -> per-layer statistics.

Reproducibility: repeat r uses SeedSequence(seed + r), spawned into two streams, one for the weights
and one for the data, so changing the batch size or count never changes the weights; the weight stream
is spawned again into one stream per layer (drawn in parallel, the same numbers on any number of cores).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from actinit_cli.nn import activations, blockstats, initializers, jacobian, losses, mlp, stats
from actinit_cli.run import analysis, blockrun, datainit, overlay, structure
from actinit_cli import resources
from actinit_cli.run.spec import Spec

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Run:
    """Everything a run measured, as plain data for the report, the plots and the checks."""

    spec: Spec
    rows: list[dict]
    per_repeat: list[list[dict]]
    seeds: list[int]
    losses: list[float]
    hist_act: dict[int, np.ndarray]  # layer -> the first batch's first activation values (binned when plotted)
    hist_grad: dict[int, np.ndarray]  # layer -> as many back-propagated gradients
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] | None = None
    notes: list[str] = field(default_factory=list)
    prediction: overlay.Prediction | None = None
    scalars: dict[str, float | None] = field(default_factory=dict)  # run-level quantities the rows do not give
    spectrum: jacobian.Spectrum | None = None  # analysis.jacobian: singular values of the first samples


def preflight(spec: Spec, save_arrays: bool, available: int | None = None, probe: Any = None) -> tuple[int, Any]:
    """Estimate peak memory before allocating anything; refuse what would not fit in 80 % of what is free
    (`available`: free bytes, measured now when None). Returns the estimate and, for a torch: model, its probe
    (run/torchrun.py: built, a trial batch through it, its memory estimated), else None. Hand that probe to
    `execute` (and back here) so that a user's model is built and tried once, not at every step."""
    if spec.torch:
        from actinit_cli.run import torchrun

        return torchrun.preflight(spec, save_arrays, available, probe)
    if blockrun.is_blocks(spec):
        return blockrun.check_memory(spec, save_arrays, available), None
    itemsize = np.dtype(spec["model.dtype"]).itemsize
    need = mlp.peak_bytes(spec.sizes, spec["data.batch_size"], itemsize, save_arrays)
    need += analysis.extra_bytes(spec.resolved, spec.sizes)
    fix = "reduce data.batch_size, model.width or model.depth" + (" or drop --save-arrays" if save_arrays else "")
    what = (f"model: this run (depth {spec['model.depth']}, widest layer {max(spec.sizes)}, batch "
            f"{spec['data.batch_size']}, {spec['model.dtype']})")
    return resources.check_fits(need, what, fix, available), None


def inputs(spec: Spec, rng: np.random.Generator, dtype: np.dtype) -> np.ndarray:
    """One batch of inputs with the spec's mean and std (uniform: U[mean -+ sqrt(3) std])."""
    shape = (spec["data.batch_size"], spec.sizes[0])
    mean, std = spec["data.input.mean"], spec["data.input.std"]
    with np.errstate(over="ignore"):  # an input beyond the dtype's range is inf, counted in nonfinite
        if spec["data.input.distribution"] == "uniform":
            half = math.sqrt(3.0) * std
            return rng.uniform(mean - half, mean + half, size=shape).astype(dtype)
        return (rng.standard_normal(size=shape) * std + mean).astype(dtype)


def network(spec: Spec, seed: np.random.SeedSequence) -> mlp.Network:
    """The spec's MLP (each layer's own activation and initializers with model.layers); a network of blocks
    comes from `blockrun.network`."""
    m = spec.resolved["model"]
    if not m["layers"]:
        return mlp.build(spec.sizes, activations.get(m["activation"]), activations.get(m["output_activation"]),
                         datainit.base(initializers.get(m["initializer"])), initializers.get(m["bias_initializer"]),
                         np.dtype(m["dtype"]), seed)
    return mlp.build(spec.sizes, activations.get(m["activation"]), activations.get(m["output_activation"]),
                     [datainit.base(i) for i in structure.initializers_of(m, "initializer")],
                     structure.initializers_of(m, "bias_initializer"),
                     np.dtype(m["dtype"]), seed, structure.hidden_activations(m))


def total_steps(spec: Spec) -> int:
    """Progress units: one per layer, forward and backward, per batch and repeat (a torch model: per batch)."""
    if spec.torch:
        return spec["repeats"] * spec["data.batches"] * 2
    return spec["repeats"] * spec["data.batches"] * 2 * (spec["model.depth"] + 2)


def execute(spec: Spec, save_arrays: bool = False, progress: Progress | None = None, probe: Any = None) -> Run:
    """Run every repeat and batch; return the statistics (mean over repeats and per repeat). `probe`: a torch
    spec's probe from `preflight`, when it ran already."""
    if spec.torch:
        from actinit_cli.run import torchrun

        return torchrun.execute(spec, save_arrays, progress, probe)
    preflight(spec, save_arrays)
    tick = progress or (lambda n: None)
    start = time.perf_counter()
    clock = {"draw_weights_and_data": 0.0, "forward_backward_statistics": 0.0}
    per_repeat, seeds, loss_values = [], [], []
    hist: dict[str, dict] = {"act": {}, "grad": {}}
    arrays: dict[str, np.ndarray] | None = None
    spectrum, fitted = None, []
    for r in range(spec["repeats"]):
        seeds.append(spec["seed"] + r)
        acc, values, saved, found, more = _repeat(spec, r, save_arrays, tick, clock)
        loss_values += values
        arrays, spectrum, fitted = (saved, found, more) if r == 0 else (arrays, spectrum, fitted)
        hist = {"act": acc.hist_act, "grad": acc.hist_grad} if r == 0 else hist
        per_repeat.append(acc.rows())
    t0 = time.perf_counter()
    prediction = overlay.predict(spec)
    clock["theory"] = time.perf_counter() - t0
    rows = overlay.annotate(stats.mean_rows(per_repeat), prediction, spec["data.batch_size"])
    scalars, more = analysis.results(spec.resolved, spec.sizes, spectrum, prediction.profile)
    notes = list(prediction.notes) + fitted + more  # why theory does not apply, if it does not, is in prediction.reason
    return Run(spec, rows, per_repeat, seeds, loss_values, hist["act"], hist["grad"], time.perf_counter() - start, clock,
               arrays, notes, prediction, scalars, spectrum)


def _repeat(spec: Spec, r: int, save_arrays: bool, tick: Progress, clock: dict[str, float]) -> tuple[Any, ...]:
    """Repeat r: its weights (LSUV resolved on its first batch), its batches through them; (the accumulator, the
    loss values, the first batch's arrays when saved, the first batch's Jacobian spectrum when asked for, notes)."""
    w_seq, d_seq = np.random.SeedSequence(spec["seed"] + r).spawn(2)
    t0 = time.perf_counter()
    blocks = blockrun.is_blocks(spec)
    net, data_rng = (blockrun.network if blocks else network)(spec, w_seq), np.random.default_rng(d_seq)
    clock["draw_weights_and_data"] += time.perf_counter() - t0
    if not blocks:  # LSUV sees the batch the run starts with: a copy of the data stream draws it
        net, notes = datainit.resolve(net, spec.resolved["model"], inputs(spec, copy.deepcopy(data_rng),
                                                                        net.weights[0].dtype))
    t0 = time.perf_counter()
    acc = (blockstats.Accumulator if blocks else stats.Accumulator)(net, keep_hist=(r == 0))  # the weights' variance
    clock["forward_backward_statistics"] += time.perf_counter() - t0
    values, arrays, spectrum = [], None, None
    for b in range(spec["data.batches"]):
        keep = save_arrays and r == 0 and b == 0
        jac = analysis.samples(spec.resolved) if r == 0 and b == 0 else 0  # the first batch's first inputs
        value, saved, found = _batch(spec, net, data_rng, acc, keep, tick, clock, jac)
        values.append(value)
        arrays, spectrum = (saved, found) if b == 0 else (arrays, spectrum)
        acc.keep_hist = False
    return acc, values, arrays, spectrum, notes if not blocks else []


def _batch(spec: Spec, net: mlp.Network, rng: np.random.Generator, acc: stats.Accumulator, keep: bool,
           tick: Progress, clock: dict[str, float], jac: int = 0) -> tuple[float, dict | None, Any]:
    """Forward, loss, backward and statistics of one batch; the arrays of it when `keep`; the Jacobian
    spectrum of its first `jac` inputs (None when 0)."""
    dtype = np.dtype(spec["model.dtype"])
    t0 = time.perf_counter()
    x = inputs(spec, rng, dtype)
    target = losses.targets(spec["loss"], rng, x.shape[0], spec.sizes[-1], dtype)
    t1 = time.perf_counter()
    clock["draw_weights_and_data"] += t1 - t0
    if not isinstance(net, mlp.Network):  # a network of blocks
        value, saved = blockrun.step(spec["loss"], net, x, target, acc, keep, tick)
        clock["forward_backward_statistics"] += time.perf_counter() - t1
        return value, saved, _spectrum(lambda: jacobian.through_blocks(net, x[:jac]), clock) if jac else None
    tape = mlp.forward(net, x, acc.forward_layer)
    tick(len(tape.y))
    first = [h[:jac].copy() for h in tape.h[1:-1]] if jac else []  # backward releases the tape
    out = len(net.weights)
    grad = losses.evaluate(spec["loss"], tape.h[out], tape.y[out], target, net.output)
    saved = _arrays(net, tape, x, target, grad.value) if keep else None
    for g in mlp.backward(net, tape, grad.dy, grad.dh):
        acc.backward(g)
        if saved is not None:
            _save_grad(saved, g)
        tick(1)
    clock["forward_backward_statistics"] += time.perf_counter() - t1
    return grad.value, saved, _spectrum(lambda: jacobian.chain(net, first), clock) if jac else None


def _spectrum(build: Callable[[], np.ndarray], clock: dict[str, float]) -> jacobian.Spectrum:
    """The singular values of the Jacobians `build` returns, timed apart from the run."""
    t0 = time.perf_counter()
    out = jacobian.spectrum_of(build())
    clock["jacobian"] = time.perf_counter() - t0
    return out


def _arrays(net: mlp.Network, tape: mlp.Tape, x: np.ndarray, target: np.ndarray, loss: float) -> dict:
    saved = {"x": x, "target": target, "loss": np.array(loss)}
    for layer in range(1, len(net.weights) + 1):
        saved.update({f"W{layer}": net.weights[layer - 1], f"b{layer}": net.biases[layer - 1],
                      f"h{layer}": tape.h[layer], f"y{layer}": tape.y[layer]})
    return saved


def _save_grad(saved: dict, g: mlp.LayerGrad) -> None:
    if g.layer == 0:
        saved["dx"] = g.dy
        return
    saved.update({f"dy{g.layer}": g.dy, f"dh{g.layer}": g.dh, f"dW{g.layer}": g.dW, f"db{g.layer}": g.db})
