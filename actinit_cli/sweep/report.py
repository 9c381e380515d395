"""A sweep's directory: runs/<name>/<time>-<id>/ with sweep.yaml at the start, each point's run under
points/, and at the end points.csv, the two heatmaps, recommendations.md and summary.json.

The directory is built as the sweep goes (so --resume can continue it); each file in it is written
whole or not at all. summary.json appears last: a sweep directory without it is unfinished.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
import numpy as np
import yaml

from actinit_cli import __version__, signals
from actinit_cli.errors import ActinitError, Interrupted
from actinit_cli.nn.headline import TRENDS, Trend
from actinit_cli.run import rundir, yamlio
from actinit_cli.run.files import write_atomic, write_with
from actinit_cli.run.spec import Spec
from actinit_cli.sweep import grids, pool, recommend, training
from actinit_cli.sweep import rows as point_rows
from actinit_cli.sweep.plan import Plan, Point
from actinit_cli.words import counted



def _plan(base: Spec, points: list[Point]) -> dict:
    return {"base": {k: v for k, v in base.resolved.items() if k != "sweep"}, "sweep": base.resolved["sweep"],
            "points": [p.label for p in points]}


def start(root: Path, base: Spec, points: list[Point], resume: bool) -> Path:
    """The sweep directory: with resume, the newest one with the same plan that is unfinished (no
    summary.json) or has failed points; else a new one."""
    plan = json.loads(json.dumps(_plan(base, points)))
    if resume:
        return _resumable(Path(root) / base.name, plan)
    folder, _, _ = rundir.new_run_dir(root, base.name)
    try:
        (folder / "points").mkdir(parents=True)
    except OSError as exc:
        raise ActinitError(f"--out: cannot create {folder} ({exc.strerror}); choose a writable --out") from None
    write_atomic(folder / "sweep.yaml", yaml.safe_dump(plan, sort_keys=False).encode(), "--out")
    return folder


def _resumable(where: Path, plan: dict) -> Path:
    """The newest sweep under `where` whose sweep.yaml holds `plan`, checked before any point runs: a damaged one
    met on the way (its plan unreadable, its points/ not a folder) is refused, naming the file."""
    other = None
    for folder in sorted(where.glob("*"), reverse=True):
        saved = _saved_plan(folder)
        if saved is None:
            continue
        if saved != plan:
            other = other or folder / "sweep.yaml"
            continue
        if _complete(folder):
            raise ActinitError(f"--resume: the newest sweep of this plan, {folder}, finished with no failed "
                               f"points; nothing to resume (run without --resume for a new sweep)")
        for path in [folder / "points", *(folder / "points" / label for label in plan["points"])]:
            if os.path.lexists(path) and not path.is_dir():
                raise ActinitError(f"--resume: {path} is not a folder (the sweep directory is damaged); move it "
                                   f"away and resume again, or run without --resume for a new sweep")
        return folder
    newest = f" (the newest, {other}, holds another plan)" if other else ""
    raise ActinitError(f"--resume: no earlier sweep of {where.name} with these points under {where}"
                       f"{newest}; run without --resume")


def _saved_plan(folder: Path) -> dict | None:
    """The plan in an earlier sweep's sweep.yaml, None where there is none (e.g. `actinit run` of the same name);
    one that cannot be read or is no plan is an error naming it: that sweep cannot be resumed."""
    file = folder / "sweep.yaml"
    if not os.path.lexists(file):
        return None
    try:
        if not file.is_file():
            raise ValueError("not a regular file")
        saved = yamlio.load_yaml(file.read_bytes().decode("utf-8"), str(file))  # a spec's checks: syntax, depth
        if not (isinstance(saved, dict) and {"base", "sweep", "points"} <= saved.keys()):
            raise ValueError("not a mapping of base, sweep and points")
        return saved
    except (OSError, ValueError, ActinitError) as exc:  # UnicodeDecodeError is a ValueError
        detail = " ".join(str(exc).split()).split("; ")[0]  # yamlio's own advice is a spec's, not a plan's
        where = detail if detail.startswith(str(file)) else f"{file}: {detail or type(exc).__name__}"
        raise ActinitError(f"--resume: {where} (a damaged sweep plan); this sweep cannot be resumed: move {folder} "
                           f"away, or run without --resume for a new sweep") from None


def _complete(folder: Path) -> bool:
    try:
        doc = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and doc.get("failed") == 0


def _grid(rows: list[dict], trend: Trend, row_axis: str, col_axis: str, panel_axes: list[str]):
    """Per panel (the other swept values), a row x col matrix of the trend's log2 change per layer in the
    direction its signal travels (forward for activations, output to input for gradients: blue is always
    vanishing, red exploding), and the cell texts: the value, 'to 0' (vanished to exactly 0: drawn at the
    blue end), 'inf', 'fail' or 'n/a'."""
    def cell(r: dict) -> tuple[float | None, str]:
        v = r.get(trend.slope_key)
        v = None if v is None else (v if trend.forward else -v)
        # No slope with every value finite: some layer reached exactly 0 (the ratio is 0, or 0/0 when both ends did)
        gone = r["status"] == "ok" and not r.get("nonfinite") and (r.get(trend.ratio_key) == 0 or v is None)
        value = None if r["status"] != "ok" or r.get("nonfinite") else (-math.inf if gone else v)
        return value, ("fail" if r["status"] != "ok" else "inf" if r.get("nonfinite") else
                       "to 0" if gone else "n/a" if v is None else f"{round(v, 2) + 0.0:+.2f}")  # never -0.00

    return grids.grid(rows, row_axis, col_axis, panel_axes, cell)


def finish(folder: Path, base: Spec, points: list[Point], rows: list[dict], seconds: float, jobs: int,
           plots: bool = True, bound: float = recommend.BOUND, executor: str = "local"
           ) -> tuple[list[recommend.Advice], list[str]]:
    """Write points.csv, the heatmaps, recommendations.md and, last, summary.json; return the advice and the
    notes' rules as measured (a training sweep's own: sweep/training.py)."""
    columns = point_rows.columns(list(base.resolved["sweep"]))
    write_atomic(folder / "points.csv", rundir.csv_text(rows, columns).encode(), "--out")
    ok = [r for r in rows if r["status"] == "ok"]
    torch = bool(base.torch)  # recommendations and heatmaps compare activation x initializer pairs of actinit's MLP
    if training.is_training(base):  # its own heatmaps and rules: the trained networks' (sweep/training.py)
        write_atomic(folder / "recommendations.md", training.markdown(rows, base).encode(), "--out")
        if plots:
            training.heatmaps(folder, base, rows, lambda path, draw: write_with(path, draw, "--out"))
        torch = True  # no initialization advice below
    advice = recommend.advise(rows, bound) if ok and not torch else []
    rules = training.rules(rows, base) if training.is_training(base) else recommend.rules(advice, bound)
    depths = sorted({int(r["depth"]) for r in rows}) if not torch else []
    text = recommend.markdown(advice, depths, bound) if not torch else (
        "# Recommendations\n\nNone: they rank activation x initializer pairs of actinit's own MLP, and this sweep "
        "measures a torch: model; compare its points in points.csv.\n")
    if not training.is_training(base):
        write_atomic(folder / "recommendations.md", text.encode(), "--out")
    if plots and not torch:
        _heatmaps(folder, base, rows)
    doc = {"format_version": rundir.FORMAT_VERSION, "name": base.name, "sweep": base.resolved["sweep"],
           "points": len(rows), "failed": sum(r["status"] != "ok" for r in rows), "jobs": jobs, "executor": executor,
           "seconds": seconds, "bound": bound,
           "versions": {"actinit": __version__, "numpy": np.__version__, "python": platform.python_version()},
           "ranking": recommend.ranking(advice), "rules": rules,
           "verdicts": {a.activation: a.verdict for a in advice}}
    write_atomic(folder / "summary.json", rundir.json_text(doc).encode(), "--out")
    return advice, rules


def _heatmaps(folder: Path, base: Spec, rows: list[dict]) -> None:
    from actinit_cli import plots

    swept = list(base.resolved["sweep"])
    others = [a for a in swept if a not in ("model.activation", "model.initializer")]
    legend = ("blue: vanishing, red: exploding, per layer in the direction of travel; 'to 0': vanished to exactly "
              "0; grey: fail (the point failed), inf (overflow), n/a (no log2 slope)")
    for trend in TRENDS:
        way = "forward" if trend.forward else "backward"
        rows_, cols, panels, texts = _grid(rows, trend, "activation", "initializer", others)
        title = f"{base.name}: {trend.what}, log2 change per layer going {way} (0 = preserved)"
        write_with(folder / trend.heatmap, lambda tmp: plots.heatmaps(
            tmp, rows_, cols, panels, texts, title, f"doublings per layer, {way} (clipped at +-2)", legend=legend),
            "--out")


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its directory, one row per point, the advice, how long it took on how many workers,
    and the swept paths (the keys that tell its points apart)."""

    folder: Path
    rows: list[dict]
    advice: list[recommend.Advice]
    rules: list[str]  # the notes' rules as measured (recommendations.md's section, the terminal's `rule:` lines)
    seconds: float
    jobs: int
    swept: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # with --resume: each damaged point run again (sweep/pool.py's finished)


def run(plan: Plan, resume: bool = False, plots: bool = False, bound: float = recommend.BOUND,
        progress: Callable[[int], None] | None = None, runner: pool.Runner | None = None) -> SweepResult:
    """Run (or, with resume, continue) the sweep and write its directory (`runner`: where the points
    run, the local pool by default)."""
    from actinit_cli import plots as drawing  # the face's module only; matplotlib loads while the points run

    folder = start(plan.out, plan.base, plan.points, resume)
    began = time.perf_counter()
    notes: list[str] = []
    # heatmaps are drawn by finish() once every point is in: import matplotlib meanwhile (0.3-0.6 s off the serial
    # end); not beside a Dask client, which imports its own large tree in this process at the same time
    early = plan.executor == "local" and (training.is_training(plan.base) or not plan.base.torch)
    try:  # the workers' environment is set before the import thread starts and restored after it is joined: the
        # C library's setenv may move the environment while a thread reads it, so it changes only in between
        with pool.environ(pool.ONE_THREAD if early else {}), drawing.imported_meanwhile(early):
            rows = pool.execute(plan.points, folder / "points", plan.jobs, plots, resume, progress, runner, notes)
        seconds = time.perf_counter() - began
        advice, rules = finish(folder, plan.base, plan.points, rows, seconds, plan.jobs, True, bound, plan.executor)
    except KeyboardInterrupt:  # also while the sweep's own files are written: summary.json, last, is then missing
        done = pool.kept(plan.points, folder / "points")
        kept = f"{counted(done, 'finished point')} {'is' if done == 1 else 'are'} kept"
        raise Interrupted(f"{signals.reason()}; {kept} in {folder}: continue with "
                          f"{plan.again}", signals.exit_code()) from None
    swept = tuple(plan.points[0].values) if plan.points else ()
    return SweepResult(folder, rows, advice, rules, seconds, plan.jobs, swept, tuple(notes))
