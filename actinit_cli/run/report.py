"""A run's files: a directory that appears whole or not at all, under runs/<name>/<UTC time>-<id>/."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import secrets
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from actinit_cli import __version__
from actinit_cli.nn import activations, initializers
from actinit_cli.errors import ActinitError
from actinit_cli.run.files import umask
from actinit_cli.run.runner import Run
from actinit_cli.nn.stats import COLUMNS, headline

FORMAT_VERSION = 1  # bump when layers.csv or summary.json change incompatibly


def _nonfinite_text(value: float) -> str:
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def cell(value: Any) -> str:
    """A CSV cell: '' for not applicable, shortest round-trip repr for floats ('nan', 'inf' kept)."""
    if value is None:
        return ""
    if isinstance(value, float):  # np.float64 too, whose repr would be 'np.float64(...)'
        value = float(value)
        return repr(value) if math.isfinite(value) else _nonfinite_text(value)
    return str(value)


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return buf.getvalue()


def json_safe(value: Any) -> Any:
    """JSON has no NaN or inf: write them as strings so every consumer can parse the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return _nonfinite_text(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def summary(run: Run, run_id: str, created: str) -> dict:
    """Everything machine-readable about a run."""
    return json_safe({
        "format_version": FORMAT_VERSION, "run_id": run_id, "name": run.spec.name, "created_utc": created,
        "spec": run.spec.resolved, "seeds": run.seeds,
        "streams": "repeat r: numpy SeedSequence(seed + r).spawn(2) -> [weights, data]",
        "versions": {"actinit": __version__, "numpy": np.__version__, "python": platform.python_version(),
                     "platform": platform.platform()},
        "timings": {"total_seconds": run.seconds, **{f"{k}_seconds": v for k, v in run.timings.items()}},
        "headline": headline(run.rows), "theory": _theory(run), "loss": run.losses, "notes": run.notes,
        "layers": run.rows,
    })


def _theory(run: Run) -> dict:
    pred = run.prediction
    if pred is None or pred.profile is None:
        return {"applies": False, "reason": pred.reason if pred else "not computed"}
    outside = [r["layer"] for r in run.rows if r.get("outside_band")]
    return {"applies": True, **pred.summary, "layers_outside_band": outside, "notes": pred.notes}


def theory_line(run: Run) -> str:
    """One line on the terminal and in report.md: the phase and how the measurement sits in the band."""
    doc = _theory(run)
    if not doc["applies"]:
        return f"theory: does not apply ({doc['reason']})"
    q = doc["q_star"]
    fixed = "0 (the signal collapses)" if q == 0 else ("inf (diverges)" if math.isinf(q) else f"{q:.4g}")
    outside = doc["layers_outside_band"]
    verdict = (f"layers outside the finite-width band: {', '.join(map(str, outside))} (marked !)" if outside
               else "every layer inside the finite-width band")
    return (f"theory: {doc['phase']} (chi_1 {doc['chi_1']:.4g}, sigma_w^2 {doc['sigma_w2']:.4g}), q* {fixed}, "
            f"xi_q {doc['xi_q']:.3g}, xi_c {doc['xi_c']:.3g}; {verdict}")


def title(run: Run) -> str:
    m = run.spec.resolved["model"]
    widths = sorted(set(m["width"]))
    width = str(widths[0]) if len(widths) == 1 else f"{widths[0]}-{widths[-1]}"
    return (f"{run.spec.name}: {short_name(m['activation'], activations.REGISTRY)} + "
            f"{short_name(m['initializer'], initializers.REGISTRY)} "
            f"(depth {m['depth']}, width {width})")


def short_name(ref: Any, registry: Any) -> str:
    """A reference for titles: its name, with only the parameters that differ from their defaults."""
    if isinstance(ref, str):
        return ref
    entry = registry.entries[ref["name"]]
    changed = [f"{p.name}={ref[p.name]}" for p in entry.params if ref.get(p.name) != p.default]
    return ref["name"] + (f"({', '.join(changed)})" if changed else "")


def new_run_dir(root: Path, name: str) -> tuple[Path, str, str]:
    """A fresh final path runs/<name>/<time>-<id> (not created) with its id and UTC timestamp."""
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for _ in range(100):
        run_id = f"{stamp}-{secrets.token_hex(3)}"
        final = Path(root) / name / run_id
        if not final.exists():
            return final, run_id, now.isoformat(timespec="seconds")
    raise ActinitError(f"--out: could not find a free run directory under {root}/{name}")


def write(run: Run, root: Path, plots: bool = True) -> Path:
    """Write the run directory runs/<name>/<time>-<id>/ whole or not at all."""
    return atomic_dir(root, run.spec.name,
                      lambda tmp, run_id, created: _write_files(run, tmp, run_id, created, plots))


def check_out(root: Path) -> None:
    """Refuse an output root that cannot be written before any work is done (nothing is created here)."""
    root = Path(root)
    probe = root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        why = "is not a directory" if probe.exists() and not probe.is_dir() else "is not writable"
        raise ActinitError(f"--out: {str(probe)!r} {why}; choose a writable --out")


def atomic_dir(root: Path, name: str, fill: Callable[[Path, str, str], None]) -> Path:
    """Create root/<name>/<time>-<id>/: `fill(folder, id, created)` writes into a hidden temporary
    folder that is renamed into place at the end (removed on any error or Ctrl-C, with the <name>
    folder if this call created it)."""
    final, run_id, created = new_run_dir(root, name)
    fresh_parent = not final.parent.exists()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=final.parent))
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes it private; a run directory is not
    except OSError as exc:
        raise ActinitError(f"--out: cannot create a run directory under {str(root)!r} ({exc.strerror}); "
                           f"choose a writable --out") from None
    try:
        fill(tmp, run_id, created)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if fresh_parent:
            with contextlib.suppress(OSError):
                final.parent.rmdir()  # only if still empty
        raise
    return final


def _write_files(run: Run, out: Path, run_id: str, created: str, plots: bool) -> None:
    columns = COLUMNS + tuple(k for k in (run.rows[0] if run.rows else {}) if k not in COLUMNS)
    (out / "spec.yaml").write_text(yaml.safe_dump(dict(run.spec.resolved), sort_keys=False))
    (out / "layers.csv").write_text(csv_text(run.rows, columns))
    if len(run.per_repeat) > 1:
        rows = [{"repeat": r, **row} for r, rep in enumerate(run.per_repeat) for row in rep]
        (out / "layers_repeats.csv").write_text(csv_text(rows, ("repeat",) + COLUMNS))
    doc = summary(run, run_id, created)
    (out / "summary.json").write_text(json.dumps(doc, indent=2) + "\n")
    if run.arrays is not None:
        np.savez(out / "arrays.npz", **run.arrays)
    pngs = _plots(run, out) if plots else []
    (out / "report.md").write_text(markdown(run, doc, pngs))


def _plots(run: Run, out: Path) -> list[str]:
    from actinit_cli import plots

    layers = [r["layer"] for r in run.rows]
    name = title(run)
    act_label, grad_label = "activation E[y^2]", "gradient E[(dL/dh)^2]"
    theory, note = None, theory_line(run)
    if run.prediction is not None and run.prediction.profile is not None:
        band = [r["pred_act_band"] for r in run.rows]
        pred = [r["pred_act_m2"] for r in run.rows]
        grad = [r["pred_grad_preact_m2"] for r in run.rows]
        theory = {act_label: (pred, [_scale(p, b, -1) for p, b in zip(pred, band)],
                              [_scale(p, b, 1) for p, b in zip(pred, band)]),
                  grad_label: (grad, grad, grad)}
        note = "lines: mean-field prediction; band: finite-width +-2 sd (activations)\n" + note
    plots.variance_by_layer(out / "variance_by_layer.png", layers,
                            {act_label: [r["act_m2"] for r in run.rows],
                             grad_label: [r["grad_preact_m2"] for r in run.rows]}, name, theory, note,
                            [r["layer"] for r in run.rows if r["nonfinite"]])
    act = activations.get(run.spec["model.activation"])
    zeros = " (exact zeros left out: see zero_frac)" if act.dies else ""
    plots.layer_histograms(out / "activations_hist.png", *run.hist_act, f"{name}\nactivations per layer{zeros}",
                           "activation value")
    plots.layer_histograms(out / "gradients_hist.png", *run.hist_grad, f"{name}\ngradients dL/dh per layer",
                           "back-propagated gradient dL/dh")
    pngs = ["variance_by_layer.png", "activations_hist.png", "gradients_hist.png"]
    if act.saturation is not None or act.dies:
        kinds = (("saturated_frac",) if act.saturation is not None else ()) + \
            (("dead_frac", "zero_frac") if act.dies else ())
        plots.saturation(out / "saturation.png", layers[1:-1], {k: [r[k] for r in run.rows[1:-1]] for k in kinds},
                         f"{name}\n" + " and ".join(("saturated",) * (act.saturation is not None) +
                                                     ("dead",) * act.dies) + " units")
        pngs.append("saturation.png")
    return pngs


def _scale(value: float | None, band: float | None, sign: int) -> float | None:
    return None if value is None or band is None else value * band**sign


def markdown(run: Run, doc: dict, pngs: list[str]) -> str:
    """report.md: the headline, the per-layer table and the plots."""
    head = doc["headline"]
    lines = [f"# {title(run)}", "", f"Run `{doc['run_id']}`, seeds {run.seeds}, actinit {__version__}, "
             f"{run.seconds:.2f} s.", "", "## Headline", ""]
    lines += [f"- {k}: {fmt(v)}" for k, v in head.items()] + ["", theory_line(run), "", "## Per layer", ""]
    cols = ("layer", "width", "act_m2", "pred_act_m2", "act_var", "act_unit_var", "grad_preact_m2",
            "pred_grad_preact_m2", "grad_w_m2", "saturated_frac", "dead_frac", "nonfinite", "outside_band")
    lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in run.rows]
    lines += [""] + [f"![{p}]({p})" for p in pngs] + [""] + [f"> {n}" for n in run.notes]
    return "\n".join(lines) + "\n"


def fmt(v: Any, digits: int = 4) -> str:
    """A number to `digits` significant digits for people ('' for None, other values as text)."""
    if v is None:
        return ""
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def write_phase(d: Any, activation: str, root: Path) -> Path:
    """runs/phase_<activation>/<time>-<id>/ with phase.png and critical_line.csv (q_star, sigma_w2, sigma_b2)."""
    from actinit_cli.theory import phase

    def fill(folder: Path, run_id: str, created: str) -> None:
        from actinit_cli import plots

        rows = [{"q_star": q, "sigma_w2": w, "sigma_b2": b} for q, w, b in zip(d.line.q_star, d.line.sw2, d.line.sb2)]
        (folder / "critical_line.csv").write_text(csv_text(rows, ("q_star", "sigma_w2", "sigma_b2")))
        plots.phase_diagram(folder / "phase.png", d.sw2, d.sb2, d.chi1, (d.line.sw2, d.line.sb2), phase.NAMED,
                            f"{activation}: order-to-chaos phase diagram (chi_1 at the fixed point)")

    return atomic_dir(root, f"phase_{activation}", fill)
