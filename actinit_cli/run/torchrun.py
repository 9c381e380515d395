"""A torch: spec as a run: probed before it runs (factory, input shape, the checks' module selectors, memory),
measured by actinit_cli/torch, given the mean-field prediction where the model is a plain MLP (through the
actinit spec of the same MLP), and written as a run directory: modules.csv always, layers.csv for a plain MLP."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from actinit_cli import resources
from actinit_cli.errors import ActinitError
from actinit_cli.nn import initializers
from actinit_cli.run import checks, overlay, report, rundir, runner
from actinit_cli.run import spec as specs
from actinit_cli.torch import rows as module_rows

RUNNABLE_LOSSES = ("mse", "random_projection")  # an MLP spec with these reproduces a plain torch MLP's numbers


@dataclass(frozen=True)
class TorchRun:
    """What a torch run measured: module rows (the table checks read), and `mlp`, the plain-MLP view as actinit's
    own Run (per-layer rows with theory), when the model is one."""

    spec: specs.Spec
    rows: list[dict]
    per_repeat: list[list[dict]]
    seeds: list[int]
    losses: list[float]
    hist_act: dict
    hist_grad: dict
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mlp: runner.Run | None = None
    mlp_spec: dict | None = None  # the actinit spec that reproduces layers.csv, when there is one
    arrays: None = None
    prediction: None = None  # theory lives in `mlp`
    scalars: dict[str, float | None] = field(default_factory=dict)  # run-level quantities the rows do not give


def preflight(spec: specs.Spec, save_arrays: bool, available: int | None, probed: Any = None) -> tuple[int, Any]:
    """Everything a torch spec can be refused for, before it runs; returns the estimated peak bytes and the probe.
    `probed`: the probe an earlier preflight of this spec returned (the model is not built and tried again)."""
    from actinit_cli.torch import probe

    if save_arrays:
        raise ActinitError("--save-arrays: not available for a torch: model (its arrays are the model's own); "
                           "use actinit_cli.torch.inspect in a notebook")
    input_fits(spec, available)
    p = probed if probed is not None else probe.probe(spec.resolved, spec.where)
    present = {r["type"] for r in p.rows[1:]}
    for i, check in enumerate(spec["checks"]):
        if check["quantity"] in module_rows.NEVER:
            raise ActinitError(f"{spec.where(f'checks[{i}].quantity')}: {check['quantity']} is not measured on a "
                               f"module (its output is act_*, dL/d(output) grad_act_m2); bound one of those")
        if module_rows.is_selector(check["layers"]):
            probe.check_types(check["layers"], present, spec.where(f"checks[{i}].layers.type"))
    checks.validate_against(spec["checks"], spec.resolved["model"], spec.where, p.rows)
    for i, check in enumerate(spec["checks"]):
        _measured_where_selected(check, p, spec.where(f"checks[{i}]"))
    return resources.check_fits(p.peak_bytes(spec["data.batch_size"]),
                                f"{spec.where('data.batch_size')}: this run (the model's outputs for batch "
                                f"{spec['data.batch_size']})", "reduce data.batch_size", available), p


def _measured_where_selected(check: dict, p: Any, where: str) -> None:
    """Refuse, before the run, a check of a quantity the run will not have where it looks: row 0's dL/dx, which the
    probe found this model does not need (named, or in a slope or a ratio), or counts (dead, zero, saturated), which
    are taken on activation modules' outputs and the model's output only (README, PyTorch)."""
    q, top = check["quantity"], len(p.rows) - 1
    if check["layers"] == checks.RUN:
        return
    chosen = checks.select(check["layers"], top, p.rows)
    if q == "grad_act_m2" and not p.input_grad and (check["relative_to"] == "input" or 0 in chosen and (
            check["slope_log2"] or check["layers"] != "all")):
        raise ActinitError(f"{where}: dL/dx (grad_act_m2 at the input, layer 0) is not measured for this model: "
                           f"nothing in it needs it (README, PyTorch); set model.torch.input_gradient: always, or "
                           f"bound grad_act_m2 of the modules (layers: hidden, {{type: ...}}, relative_to: first_hidden)")
    if q in COUNTS and not any(_counted(q, p.rows[layer], layer == top and p.output_counted) for layer in chosen
                               if layer > 0):
        sat = q == "saturated_frac"
        where_counted = " with a saturation bound" if sat else " and on the model's output"
        raise ActinitError(f"{where}.layers: {q} is counted on the outputs of activation modules{where_counted} "
                           f"(README, PyTorch), and these layers have none; select such modules, e.g. "
                           f"{{type: {'Tanh' if sat else 'ReLU'}}}")


COUNTS = ("saturated_frac", "dead_frac", "zero_frac")


def _counted(q: str, row: dict, last: bool) -> bool:
    """Whether a module row gets count `q`: saturated_frac on activations with a bound; the dead and zero fractions on
    activations and on the model's output (`last`: the last row, when the output is its module's own: record.py)."""
    return module_rows.saturates(row) if q == "saturated_frac" else bool(row["activation"]) or last


def input_fits(spec: specs.Spec, available: int | None) -> int:
    """The input batch (drawn in float64, then cast to model.dtype) against the free memory, before the probe
    draws one: input_shape [1000000, 1000000] is 14.6 TiB at batch 2."""
    shape, batch = spec["model.torch.input_shape"], spec["data.batch_size"]
    need = batch * math.prod(shape) * (8 + np.dtype(spec["model.dtype"]).itemsize)
    return resources.check_fits(need, f"{spec.where('model.torch.input_shape')}: an input batch of {batch} x "
                                      f"{list(shape)}", "reduce model.torch.input_shape or data.batch_size", available)


def execute(spec: specs.Spec, save_arrays: bool = False, progress: Callable[[int], None] | None = None,
            probed: Any = None) -> TorchRun:
    from actinit_cli.torch import measure

    start = time.perf_counter()
    _, p = preflight(spec, save_arrays, None, probed)
    m = measure.run(spec.resolved, spec.where, p.input_grad, progress)
    mlp, mlp_spec, why = _mlp_view(spec, m) if m.structure is not None else (None, None, "")
    notes = m.notes + ([why] if why else [])
    return TorchRun(spec, m.rows, m.per_repeat, m.seeds, m.losses, m.hist_act, m.hist_grad,
                    time.perf_counter() - start, m.timings, notes, mlp, mlp_spec)


def _mlp_mapping(spec: specs.Spec, m: Any) -> tuple[dict, str]:
    """actinit's spec of the plain MLP the torch model is, and why `actinit run` of it would not give the same
    numbers ('' when it would)."""
    r = spec.resolved
    data = dict(r["data"])
    why = ""
    if "torch" in data["input"]:  # theory needs the input's moments: take the measured ones
        mean, var = m.layers[0]["act_mean"], m.layers[0]["act_var"]
        data["input"] = {"distribution": "normal", "mean": mean, "std": math.sqrt(var)}
        why = "the batches come from data.input.torch"
    if any(m.structure.biases) and not all(m.structure.biases):  # actinit's MLP has a bias on every layer
        why = "some of its Linears have a bias and some do not"
    model = {**m.structure.mlp_model(), "dtype": r["model"]["dtype"],
             "initializer": r["model"]["initializer"] or "standard",
             # Linears without a bias are actinit's MLP with zero biases, whatever model.bias_initializer says
             "bias_initializer": (r["model"]["bias_initializer"] or "zeros") if all(m.structure.biases) else "zeros"}
    loss = r["loss"] if r["loss"] in RUNNABLE_LOSSES else "random_projection"
    if loss != r["loss"]:
        why = f"loss {r['loss']} takes the torch model's output as logits"
    return {"name": r["name"], "seed": r["seed"], "repeats": r["repeats"], "model": model, "data": data,
            "loss": loss}, why


def _mlp_view(spec: specs.Spec, m: Any) -> tuple[runner.Run, dict | None, str]:
    """The plain-MLP view as actinit's Run: layers.csv rows with the prediction, where the weights' distribution
    is known (model.initializer set, and model.bias_initializer set unless the Linears have no bias; not for
    Linears of which only some have a bias)."""
    raw, why = _mlp_mapping(spec, m)
    mlp_spec = specs.from_mapping(raw, source=f"{spec.name} (plain MLP view)")
    biases = m.structure.biases
    mixed = any(biases) and not all(biases)
    known = spec["model.initializer"] is not None and (spec["model.bias_initializer"] is not None
                                                       or not any(biases)) and not mixed
    pred = overlay.predict(mlp_spec) if known else overlay.Prediction(
        None, "some Linears have a bias and some do not: the prediction covers a bias on every layer or none"
        if mixed else "the weights keep the model's own initialization; set model.initializer (and "
                      "model.bias_initializer) for the mean-field prediction")
    rows = overlay.annotate(m.layers, pred, mlp_spec["data.batch_size"])
    run = runner.Run(mlp_spec, rows, m.layers_per_repeat, m.seeds, m.losses,
                     *m.layer_hist, 0.0, {}, None, list(pred.notes), pred)
    exported = raw if not why and known else None
    same = "the same numbers" if all(biases) else \
        "the same numbers, and grad_b_m2 for its zero biases (the Linears here have none: empty in layers.csv)"
    note = f"layers.csv: the plain-MLP view; `actinit run` of summary.json's mlp_spec gives {same}" \
        if exported else (f"layers.csv: the plain-MLP view ({why or 'own initialization'}: no actinit spec "
                          f"reproduces it)")
    return run, exported, note


def title(run: TorchRun) -> str:
    m = run.spec.resolved["model"]
    t = m["torch"]
    args = ", ".join(f"{k}={v}" for k, v in t["kwargs"].items())
    init = "own initialization" if m["initializer"] is None else \
        f"{initializers.REGISTRY.short_name(m['initializer'])}"
    return f"{run.spec.name}: {t['factory'].rpartition(':')[2]}({args}) + {init} (torch)"


def theory_line(run: TorchRun) -> str:
    if run.mlp is None:
        return "theory: does not apply (not a plain MLP: module rows have no prediction)"
    return report.theory_line(run.mlp)


def summary(run: TorchRun, run_id: str, created: str) -> dict:
    import torch

    doc = report.summary(run, run_id, created)
    doc.update(streams="repeat r: numpy SeedSequence(seed + r).spawn(3) -> [weights, data, torch]; torch -> "
                       "spawn(2) -> [torch.manual_seed (factory, forward), torch.Generator (data.input.torch)]",
               headline=module_rows.headline(run.rows), modules=doc.pop("layers"),
               layers=run.mlp.rows if run.mlp else None, mlp_spec=run.mlp_spec,
               theory=report.summary(run.mlp, run_id, created)["theory"] if run.mlp else
               {"applies": False, "reason": "not a plain MLP"})
    doc["versions"]["torch"] = torch.__version__
    return rundir.json_safe(doc)


def write(run: TorchRun, root: Path, plots: bool = True) -> Path:
    """The run directory: spec.yaml, summary.json, modules.csv, layers.csv (plain MLP), report.md, plots."""
    def fill(out: Path, run_id: str, created: str) -> None:
        from actinit_cli.torch import figures

        doc = summary(run, run_id, created)
        rundir.write_tables(out, run.spec.resolved, run.mlp.rows if run.mlp else [],
                            run.mlp.per_repeat if run.mlp else [], doc)
        rundir.write_modules(out, run.rows, run.per_repeat)
        pngs = []
        if plots:
            pngs = figures.draw(out, run.rows, run.hist_act, run.hist_grad, title(run))
            if run.mlp is not None:  # the plain-MLP view's own plots, as actinit run draws them, with theory
                (out / "layers").mkdir()
                pngs += [f"layers/{p}" for p in report.draw_plots(run.mlp, out / "layers")]
        (out / "report.md").write_text(markdown(run, doc, pngs))

    return rundir.atomic_dir(root, run.spec.name, fill)


def markdown(run: TorchRun, doc: dict, pngs: list[str]) -> str:
    cols = ("layer", "module", "type", "shape") + tuple(c for c in ("act_m2", "act_unit_var", "grad_act_m2",
                                                                   "grad_w_m2", "dead_frac", "saturated_frac",
                                                                   "nonfinite"))
    lines = [f"# {title(run)}", "", f"Run `{doc['run_id']}`, seeds {run.seeds}, {run.seconds:.2f} s.", "",
             "## Headline (module rows)", ""]
    lines += [f"- {k}: {report.fmt(v)}" for k, v in doc["headline"].items()]
    lines += ["", theory_line(run), "", "## Modules", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(report.fmt(r.get(c)) for c in cols) + " |" for r in run.rows]
    lines += [""] + [f"![{p}]({p})" for p in pngs] + [""] + [f"> {n}" for n in run.notes]
    return "\n".join(lines) + "\n"
