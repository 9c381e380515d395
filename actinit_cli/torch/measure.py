"""A torch spec measured: for each repeat the model is built, every batch runs forward and backward under the
hooks, and the module rows (and, for a plain MLP, actinit's per-layer rows) are pooled as actinit's MLP pools
them. `probe` finds what can be refused before anything runs (factory, input shape, output, loss, selectors)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


from actinit_cli import blas, extras
from actinit_cli.errors import ActinitError
from actinit_cli.nn import stats
from actinit_cli.torch import factory, fold, losses, record
from actinit_cli.torch.model import Batches, Streams, Where, build, seeded

Progress = Callable[[int], None]
WHAT = "a torch: model spec"


@dataclass
class Measured:
    """Module rows (mean over repeats, and per repeat), the plain-MLP rows where the model is one, and the rest
    a run directory reports."""

    rows: list[dict]
    per_repeat: list[list[dict]]
    layers: list[dict] | None
    layers_per_repeat: list[list[dict]] | None
    structure: fold.Structure | None
    seeds: list[int]
    losses: list[float]
    hist_act: dict  # module row -> the first batch's output values (for histograms)
    hist_grad: dict
    layer_hist: tuple[dict, dict] | None = None  # the same for the plain-MLP layers (hidden y and dL/dh)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def one_blas_thread():
    """NumPy's BLAS limited to one thread while torch computes: their thread pools otherwise fight over the cores
    between a hook's statistics and torch's next operation (3-4x slower on 2 cores). Through blas.py, as for
    training's small products; where the BLAS is not OpenBLAS, nothing changes."""
    return blas.limited(1)


def step(model: Any, rec: record.Recorder, batches: Batches, loss: str, batch: int, where: Where,
         input_grad: bool) -> float:
    """One batch forward, loss and backward under the hooks (dL/dx with `input_grad`); returns the loss value."""
    x, given = batches.inputs(batch, input_grad)
    fed = rec.start(x)

    def fails(e: str) -> str:  # user code that passed the probe's small batch fails at this one
        return (f"{where('model.torch.factory')}: the model's forward or backward fails on a batch of shape "
                f"{tuple(x.shape)} ({e}), though the probe's batch of 2 passed; make it work at data.batch_size or "
                f"lower that")

    with factory.user_code(where("model.torch.factory"), "the model's forward or backward", fails, hooked=True):
        out = model(fed)
        value = losses.value(loss, out, batches.target(loss, out, given))
        value.backward()
    rec.finish(x, out)
    model.zero_grad(set_to_none=True)
    return float(value.detach())


def repeat(resolved: Mapping, seed: int, where: Where, keep_hist: bool, tick: Progress, input_grad: bool) -> tuple:
    """One repeat: (recorder, loss values, plain-MLP structure or None)."""
    streams = Streams.of(seed)
    values = []
    with seeded(streams.torch):
        model = build(resolved, streams, where)
        batches = Batches(resolved, streams, where)
        rec = record.Recorder(model, resolved["model"]["torch"]["layers"], keep_hist)
        try:
            for _ in range(resolved["data"]["batches"]):
                values.append(step(model, rec, batches, resolved["loss"], resolved["data"]["batch_size"], where,
                                   input_grad))
                tick(2)
        finally:
            rec.close()
    return rec, values, fold.structure(rec)


def run(resolved: Mapping, where: Where, input_grad: bool, progress: Progress | None = None) -> Measured:
    """Every repeat and batch of a resolved torch spec (validated, and probed by `probe`, which decides
    `input_grad`: whether dL/dx is measured)."""
    extras.need("torch", "torch", WHAT)
    tick = progress or (lambda n: None)
    start = time.perf_counter()
    per_repeat, layers, seeds, values, hist = [], [], [], [], None
    with one_blas_thread():
        for r in range(resolved["repeats"]):
            seeds.append(resolved["seed"] + r)
            rec, losses_r, shape = repeat(resolved, seeds[-1], where, r == 0, tick, input_grad)
            per_repeat.append(rec.rows())
            values += losses_r
            layers.append(fold.layer_rows(rec) if shape is not None else None)
            if r == 0:
                hist, structure, first = (rec.hist_act, rec.hist_grad), shape, rec
    _same_rows(per_repeat, where)
    plain = structure is not None and all(rows is not None for rows in layers)
    return Measured(stats.mean_rows(per_repeat), per_repeat, stats.mean_rows(layers) if plain else None,
                    layers if plain else None, structure if plain else None, seeds, values,
                    hist[0], hist[1], fold.layer_hists(first) if plain else None, notes(first, plain),
                    {"forward_backward_statistics": time.perf_counter() - start})


def _same_rows(per_repeat: list[list[dict]], where: Where) -> None:
    ids = [[(r["module"], r["call"], r["width"]) for r in rows] for rows in per_repeat]
    if any(i != ids[0] for i in ids[1:]):
        raise ActinitError(f"{where('model.torch.factory')}: the model runs other modules in another repeat; "
                           f"actinit pools repeats row by row, so use repeats: 1")


def notes(rec: record.Recorder, plain: bool) -> list[str]:
    """What a reader of the module table should know about this model."""
    out = ["theory columns: mean-field theory covers actinit's plain MLP; " +
           ("this model is one, so layers.csv holds its per-layer rows with the prediction" if plain else
            "this model is not one (or not recorded whole), so the theory columns stay empty")]
    if not rec.input_grad and rec.input.stats.grad_act.n == 0:  # (a forward may set requires_grad on x itself)
        out.append("dL/dx (row 0's grad_act_m2) is not measured: nothing in this model needs it, and it would be "
                   "a backward pass through the first layer that no parameter needs (README, PyTorch)")
    if rec.skipped:
        out.append(f"not measured (output is not one floating tensor): {', '.join(sorted(rec.skipped))}")
    silent = [s.identity["module"] for s in rec.sites.values() if s.stats.grad_act.n == 0]
    if silent:
        out.append(f"no gradient reached the output of: {', '.join(silent[:8])}" + (" ..." if len(silent) > 8 else ""))
    return out
