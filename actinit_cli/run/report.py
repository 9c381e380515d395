"""A run's contents: summary.json's document, report.md, the plots and the terminal's theory line;
`write` hands them to `rundir`, which owns the directory and its format."""

from __future__ import annotations

import math
import platform
from pathlib import Path
from typing import Any, Callable

import numpy as np

from actinit_cli import __version__
from actinit_cli.nn import activations, columns, initializers, stats
from actinit_cli.nn.columns import REPORT
from actinit_cli.nn.headline import headline
from actinit_cli.run import files, rundir, structure
from actinit_cli.run.runner import Run
from actinit_cli.words import counted, listed


def summary(run: Run, run_id: str, created: str) -> dict:
    """Everything machine-readable about a run."""
    return rundir.json_safe({
        "run_id": run_id, "name": run.spec.name, "created_utc": created,
        "spec": run.spec.resolved, "seeds": run.seeds,
        "streams": "repeat r: numpy SeedSequence(seed + r).spawn(2) -> [weights, data]; "
                   "weights.spawn(depth + 1)[l - 1] draws W[l] then b[l] (block l: each dense layer's W then b, "
                   "in branch order; the output layer from the last stream)",
        "versions": {"actinit": __version__, "numpy": np.__version__, "python": platform.python_version(),
                     "platform": platform.platform()},
        "timings": {"total_seconds": run.seconds, **{f"{k}_seconds": v for k, v in run.timings.items()}},
        "headline": headline(run.rows), "theory": _theory(run), "scalars": run.scalars, "loss": run.losses,
        "notes": run.notes,
        "layers": run.rows,
    })


def _theory(run: Run) -> dict:
    pred = run.prediction
    if pred is None or pred.profile is None:
        return {"applies": False, "reason": pred.reason if pred else "not computed"}
    outside = [r["layer"] for r in run.rows if r.get("outside_band")]
    return {"applies": True, **pred.summary, "layers_outside_band": outside, "notes": pred.notes}


def theory_line(run: Run, mark: str = "marked ! in the table") -> str:
    """One line: the phase and how the measurement sits in the band; `mark` says how the medium at hand
    shows the layers outside it (the terminal's '!', report.md's outside_band column, the plot's circles)."""
    if run.spec.torch:
        from actinit_cli.run import torchrun

        return torchrun.theory_line(run)
    doc = _theory(run)
    if not doc["applies"]:
        return f"theory: does not apply ({doc['reason']})"
    outside = doc["layers_outside_band"]
    verdict = (f"layers outside the finite-width band: {', '.join(map(str, outside))} ({mark})" if outside
               else "every layer inside the finite-width band")
    if "network" in doc:  # a network of blocks: no phase, the stream's growth
        return (f"theory: {doc['network']}: stream E[x^2] x{fmt(doc['stream_m2_last_over_first'])} from the first "
                f"block to the last, its gradient x{fmt(doc['stream_grad_first_over_last'])} back; {verdict}")
    q = doc["q_star"]
    fixed = "0 (the signal collapses)" if q == 0 else ("inf (diverges)" if math.isinf(q) else f"{q:.4g}")
    chi = f"{doc['chi_1']:.6g} as q grows" if math.isinf(q) else f"{doc['chi_1']:.4g}"  # leaky_relu + He: 1.0001
    return (f"theory: {doc['phase']} (chi_1 {chi}, sigma_w^2 {doc['sigma_w2']:.4g}), q* {fixed}, "
            f"xi_q {doc['xi_q']:.3g}, xi_c {doc['xi_c']:.3g}; {verdict}")


def analysis_lines(run: Any) -> list[str]:
    """The terminal's lines of the spec's analysis: the Jacobian spectrum's, if it was computed."""
    return [jacobian_line(run)] if getattr(run, "spectrum", None) is not None else []  # a torch run has none


def jacobian_line(run: Run) -> str:
    """One line: the Jacobian spectrum's mean and variance of sv^2 beside their prediction, and its spread."""
    s = run.scalars
    if run.spectrum is None:
        return ""

    def both(key: str) -> str:
        pred = s.get(f"pred_{key}")
        return fmt(s.get(key)) + ("" if pred is None else f" (predicted {fmt(pred)})")

    return (f"jacobian ({counted(run.spectrum.values.shape[0], 'input')}): sv^2 mean {both('jac_sv2_mean')}, variance "
            f"{both('jac_sv2_var')}, variance/mean^2 {both('jac_sv2_var_rel')}; log10 sv q95/q05 "
            f"{fmt(s.get('jac_sv_spread'))}")


def title(run: Run) -> str:
    if run.spec.torch:
        from actinit_cli.run import torchrun

        return torchrun.title(run)
    m = run.spec.resolved["model"]
    widths = sorted(set(m["width"]))
    width = str(widths[0]) if len(widths) == 1 else f"{widths[0]}-{widths[-1]}"
    extra = ", ".join(part for part in (structure.describe(m), "per-layer overrides" * bool(m["layers"])) if part)
    return (f"{run.spec.name}: {activations.REGISTRY.short_name(m['activation'])} + "
            f"{initializers.REGISTRY.short_name(m['initializer'])} "
            f"(depth {m['depth']}, width {width})" + (f"; {extra}" if extra else ""))


def write(run: Run, root: Path, plots: bool = True) -> Path:
    """Write the run directory runs/<name>/<time>-<id>/ whole or not at all."""
    if run.spec.torch:
        from actinit_cli.run import torchrun

        return torchrun.write(run, root, plots)
    return rundir.atomic_dir(root, run.spec.name,
                             lambda tmp, run_id, created: _write_files(run, tmp, run_id, created, plots))


def _write_files(run: Run, out: Path, run_id: str, created: str, plots: bool) -> None:
    doc = summary(run, run_id, created)
    rundir.write_tables(out, run.spec.resolved, run.rows, run.per_repeat, doc)
    if run.arrays is not None:
        np.savez(out / "arrays.npz", **run.arrays)
    if run.spectrum is not None:
        rundir.write_spectrum(out, run.spectrum.rows(), run.spectrum.values)
    pngs = draw_plots(run, out) if plots else []
    (out / "report.md").write_text(markdown(run, doc, pngs))


def draw_plots(run: Run, out: Path) -> list[str]:
    from actinit_cli import plots

    name, _, arch = title(run).partition("; ")  # a plot's title: the network, then what is special about it
    blocks = not structure.of(run.spec.resolved["model"]).plain  # a network of blocks: the stream and its gradient
    series, theory, note = _moments(run, blocks)
    plots.variance_by_layer(out / "variance_by_layer.png", [r["layer"] for r in run.rows], series,
                            f"{name}\n{arch}" if arch else name, theory, note,
                            [r["layer"] for r in run.rows if r["nonfinite"]],
                            [r["layer"] for r in run.rows if r.get("outside_band")])
    pngs = ["variance_by_layer.png", *_histograms(run, out, name, arch, blocks)]
    if run.spectrum is not None:
        samples = run.spectrum.values.shape[0]
        plots.spectrum_density(out / "spectrum.png", run.spectrum.values,
                               f"{name}\nsingular values of the input-output Jacobian dy^{run.spec['model.depth']}/dx "
                               f"(depth {run.spec['model.depth']}), {samples} input{'s' * (samples > 1)}", jacobian_line(run),
                               float(run.spectrum.floor.max()))
        pngs.append("spectrum.png")
    return pngs


def _moments(run: Run, blocks: bool) -> tuple[dict, dict | None, str]:
    """variance_by_layer.png's series (label: a value per row), their predictions (label: (line, band low, band
    high)) and its note. A plain MLP also shows the per-unit variance across the batch, which falls where the
    inputs collapse onto one another although E[y^2] holds (deep sigmoid nets, the headline's unit var)."""
    act_label, grad_label = ("stream E[x^2]", "stream gradient E[(dL/dx)^2]") if blocks else \
        ("activation E[y^2]", "gradient E[(dL/dh)^2]")
    grad_column = "grad_act_m2" if blocks else "grad_preact_m2"
    rows = run.rows
    series = {act_label: [r["act_m2"] for r in rows],  # a block's output row has no stream gradient
              grad_label: [r[grad_column] for r in rows[:-1]] + [None if blocks else rows[-1][grad_column]]}
    unit_label = "per-unit variance across the batch"
    if not blocks:
        series[unit_label] = [r["act_unit_var"] for r in rows]
    theory, note = None, theory_line(run, "circled")
    if run.prediction is not None and run.prediction.profile is not None:
        band, pred = [r["pred_act_band"] for r in rows], [r["pred_act_m2"] for r in rows]
        grad, unit = [r[f"pred_{grad_column}"] for r in rows], [r["pred_act_unit_var"] for r in rows]
        theory = {act_label: (pred, [_scale(p, b, -1) for p, b in zip(pred, band)],
                              [_scale(p, b, 1) for p, b in zip(pred, band)]),
                  grad_label: (grad, grad, grad), unit_label: (unit, unit, unit)}
        note = "lines: mean-field prediction; band: finite-width +-2 sd (activations)\n" + note
    return series, theory, note


def _histograms(run: Run, out: Path, name: str, arch: str, blocks: bool) -> list[str]:
    """activations_hist.png, gradients_hist.png (the stream and dL/dx for blocks) and saturation.png."""
    from actinit_cli import plots

    acts = structure.hidden_activations(run.spec.resolved["model"])
    saturates, dies = any(a.saturation is not None for a in acts), any(a.dies for a in acts)
    what = ("the stream x per block", "gradient magnitudes |dL/dx| of the stream per block, exact zeros left out") \
        if blocks else ("activations per layer" + (" (exact zeros left out: see zero_frac)" if dies else ""),
                        "gradient magnitudes |dL/dh| per layer, exact zeros left out")
    what = tuple(f"{w} ({arch})" if arch else w for w in what)
    plots.layer_histograms(out / "activations_hist.png", *stats.histograms(run.hist_act), f"{name}\n{what[0]}",
                           "stream value" if blocks else "activation value", stats.HIST_NOTE)
    plots.layer_histograms(out / "gradients_hist.png", *stats.histograms(run.hist_grad, magnitudes=True),  # decades apart
                           f"{name}\n{what[1]}",
                           "log10 |back-propagated gradient " + ("dL/dx" if blocks else "dL/dh") + "|", stats.HIST_NOTE)
    if not (saturates or dies):
        return ["activations_hist.png", "gradients_hist.png"]
    kinds = (("saturated_frac",) if saturates else ()) + (("dead_frac", "zero_frac") if dies else ())
    layers = [r["layer"] for r in run.rows[1:-1]]
    plots.saturation(out / "saturation.png", layers,
                     {columns.legend(k): [r[k] for r in run.rows[1:-1]] for k in kinds},
                     f"{name}\n" + listed(["saturated"] * saturates + ["dead"] * dies) + " units" +
                     (" of the branch's activation" if blocks else "") + (f" ({arch})" if arch else ""))
    return ["activations_hist.png", "gradients_hist.png", "saturation.png"]


def _scale(value: float | None, band: float | None, sign: int) -> float | None:
    return None if value is None or band is None else value * band**sign


def markdown(run: Run, doc: dict, pngs: list[str]) -> str:
    """report.md: the headline, the per-layer table and the plots."""
    head = doc["headline"]
    lines = [f"# {title(run)}", "", f"Run `{doc['run_id']}`, seeds {run.seeds}, actinit {__version__}, "
             f"{run.seconds:.2f} s.", "", "## Headline", ""]
    lines += [f"- {k}: {fmt(v)}" for k, v in head.items()] + ["", theory_line(run, "outside_band = 1 below"), ""]
    lines += [*analysis_lines(run), ""] if run.spectrum is not None else []
    lines += ["## Per layer", ""]
    cols = [c for c in REPORT if any(r.get(c) is not None for r in run.rows)]  # a column empty in every row: left out
    lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in run.rows]
    lines += [""] + [f"![{p}]({p})" for p in pngs] + [""] + [f"> {n}" for n in run.notes]
    return "\n".join(lines) + "\n"


def fmt(v: Any, digits: int = 4) -> str:
    """A number to `digits` significant digits for people ('' for None, other values as text)."""
    if v is None:
        return ""
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def phase_diagram(ref: Any, sw2_max: float, sb2_max: float, points: int, root: Path,
                  progress: Callable[[int], None] | None = None) -> tuple[Path, Any]:
    """`actinit phase`: the diagram of activation `ref`, written to <root>/phase_<activation>/<time>-<id>/
    as phase.png and critical_line.csv (q_star, sigma_w2, sigma_b2); returns (folder, diagram)."""
    from actinit_cli.theory import phase

    act = activations.REGISTRY.get(ref, "activation")
    files.check_out(root)
    d = phase.diagram(act, sw2_max, sb2_max, points, progress)

    def fill(folder: Path, run_id: str, created: str) -> None:
        from actinit_cli import plots

        rows = [{"q_star": q, "sigma_w2": w, "sigma_b2": b} for q, w, b in zip(d.line.q_star, d.line.sw2, d.line.sb2)]
        (folder / "critical_line.csv").write_text(rundir.csv_text(rows, ("q_star", "sigma_w2", "sigma_b2")))
        plots.phase_diagram(folder / "phase.png", d.sw2, d.sb2, d.chi1, (d.line.sw2, d.line.sb2),
                            phase.named_initializers(),
                            f"{act.name}: order-to-chaos phase diagram (chi_1 at the fixed point)")

    return rundir.atomic_dir(root, f"phase_{act.name}", fill), d
