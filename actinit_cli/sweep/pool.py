"""Sweeps: the product of a spec's `sweep:` lists, each point a normal run, in parallel worker processes.

Every point is validated (and its memory estimated) before anything runs. Points run in spawned
processes whose BLAS is limited to one thread (so workers do not fight over cores, and --jobs 1 and
--jobs N give identical numbers); a point that fails is recorded with its reason and the sweep goes on.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import time
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from actinit_cli.nn import activations, initializers
from actinit_cli.run import memory, report, rundir, runner
from actinit_cli.gates import verdict
from actinit_cli.run import spec as specs
from actinit_cli.errors import ActinitError
from actinit_cli.run.fields import MAX_POINTS
from actinit_cli.nn.stats import headline, max_known

ONE_THREAD = {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its label, its values by sweep path, and its validated spec."""

    label: str
    values: dict[str, Any]
    spec: specs.Spec


def show(value: Any) -> str:
    """A sweep value in a label or a table cell: 'tanh', '50', 'leaky_relu(negative_slope=0.1)', '8-16'."""
    if isinstance(value, dict):
        params = ",".join(f"{k}={v}" for k, v in value.items() if k != "name")
        return f"{value.get('name')}({params})" if params else str(value.get("name"))
    if isinstance(value, list):
        return "-".join(show(v) for v in value)
    return str(value)


def label(values: dict[str, Any]) -> str:
    """A folder-safe point name: 'activation=tanh,initializer=glorot_normal,depth=10'."""
    text = ",".join(f"{path.split('.')[-1]}={show(v)}" for path, v in values.items())
    return re.sub(r"[^A-Za-z0-9_.=,()+-]", "_", text)


def _set(raw: dict, path: str, value: Any) -> None:
    """raw[a][b][c] = value for path 'a.b.c', creating the mappings on the way."""
    node = raw
    for part in path.split(".")[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path.split(".")[-1]] = copy.deepcopy(value)


def expand(base: specs.Spec, yes: bool = False, jobs: int = 1) -> list[Point]:
    """Every point of the product, validated, each with memory for `jobs` points at once; an invalid
    point is an error naming it."""
    grid = base.resolved.get("sweep")
    if not grid:
        raise ActinitError(f"{base.name}: the spec has no sweep: section; add one, e.g. "
                           f"sweep: {{model.activation: [tanh, relu]}}, or use actinit run")
    for path, values in grid.items():
        shown = [show(v) for v in values]
        twice = next((v for v in shown if shown.count(v) > 1), None)
        if twice is not None:
            raise ActinitError(f"sweep.{path}: {twice!r} is listed twice; list each value once")
    total = 1
    for values in grid.values():
        total *= len(values)
    if total > MAX_POINTS and not yes:
        raise ActinitError(f"sweep: {total:,} points (more than {MAX_POINTS:,}); pass --yes to run them all, "
                           f"or shorten the sweep: lists")
    points = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        name = label(values)
        raw = {k: copy.deepcopy(v) for k, v in (base.raw or {}).items() if k != "sweep"}
        for path, value in values.items():
            _set(raw, path, value)
        raw["name"] = name
        try:
            point = specs.from_mapping(raw, source=f"sweep point {name}")
            free = runner.available_bytes()
            runner.check_memory(point, False, free // max(1, jobs) if free is not None else None)
        except ActinitError as exc:
            raise ActinitError(f"sweep point {name}: {str(exc).replace(f'sweep point {name}: ', '')}") from None
        points.append(Point(name, values, point))
    return points


def row(point_values: dict[str, Any], rows: list[dict], spec: specs.Spec, run_dir: Path, seconds: float) -> dict:
    """points.csv's row for a finished point: headline ratios and slopes, dead/saturated, checks."""
    head = headline(rows)
    hidden = rows[1:-1]
    results = [verdict.evaluate(c, rows, spec.resolved["model"]) for c in spec["checks"]]
    return {**{p: show(v) for p, v in point_values.items()}, **_identity(spec), "status": "ok", "reason": "",
            **head,
            "max_dead_frac": max_known(r["dead_frac"] for r in hidden),
            "max_saturated_frac": max_known(r["saturated_frac"] for r in hidden),
            "nonfinite": sum(r["nonfinite"] for r in rows),
            "checks": "" if not results else ("pass" if all(r.passed for r in results) else "fail"),
            "checks_failed": sum(not r.passed for r in results),
            "run_dir": str(run_dir), "seconds": round(seconds, 3)}


def _identity(spec: specs.Spec) -> dict[str, Any]:
    """What every point row says about its network, swept or not."""
    m = spec.resolved["model"]
    width = m["width"][0]
    try:
        sigma_w2 = width * initializers.get(m["initializer"]).expected((width, width)).std ** 2
        names = (report.short_name(m["activation"], activations.REGISTRY),
                 report.short_name(m["initializer"], initializers.REGISTRY))
    except ActinitError:  # a point that cannot even be described is still reported, as failed
        sigma_w2, names = None, (show(m["activation"]), show(m["initializer"]))
    return {"activation": names[0], "initializer": names[1], "depth": m["depth"], "width": width,
            "sigma_w2": sigma_w2}


def run_point(point: Point, root: Path, plots: bool) -> dict:
    """Run one point into root/<label>/<time>-<id>/ and return its row; any failure becomes its reason."""
    start = time.perf_counter()
    try:
        result = runner.execute(point.spec)
        run_dir = report.write(result, root, plots=plots)
        return row(point.values, result.rows, point.spec, run_dir, time.perf_counter() - start)
    except Exception as exc:  # a failing point never stops the sweep: record why
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return {**{p: show(v) for p, v in point.values.items()}, **_identity(point.spec), "status": "failed",
                "reason": reason, "seconds": round(time.perf_counter() - start, 3)}


def finished(point: Point, root: Path) -> dict | None:
    """The row of a point already run under root (for --resume), or None."""
    folder = root / point.label
    for run_dir in sorted(folder.glob("*"), reverse=True) if folder.is_dir() else []:
        if (run_dir / "summary.json").is_file() and not run_dir.name.startswith("."):
            saved = rundir.load(run_dir)
            seconds = json.loads((run_dir / "summary.json").read_text())["timings"]["total_seconds"]
            return row(point.values, saved.rows, saved.spec, run_dir, seconds)
    return None


def execute(points: list[Point], root: Path, jobs: int, plots: bool = False, resume: bool = False,
            progress: Callable[[int], None] | None = None) -> list[dict]:
    """Run every point not already finished (with resume) in `jobs` single-threaded worker processes;
    rows come back in the sweep's order."""
    tick = progress or (lambda n: None)
    rows: dict[str, dict] = {}
    todo = []
    for p in points:
        done = finished(p, root) if resume else None
        if done is not None:
            rows[p.label] = done
            tick(1)
        else:
            todo.append(p)
    if todo:
        for p, r in _pool(todo, root, jobs, plots):
            rows[p.label] = r
            tick(1)
    return [rows[p.label] for p in points]


def _worker_init() -> None:
    """In each worker: Ctrl-C is the parent's to handle; SIGTERM (the parent stopping us) unwinds like
    Ctrl-C, so a half-written run directory is removed on the way out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    memory.keep_freed_memory()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _lost(point: Point, exc: BaseException) -> dict:
    """The row of a point whose worker died (killed, or out of memory) or failed outside run_point:
    failed, to be redone by --resume."""
    why = (f"its worker process died ({type(exc).__name__})" if isinstance(exc, BrokenProcessPool)
           else " ".join(str(exc).split()) or type(exc).__name__)
    return {**{p: show(v) for p, v in point.values.items()}, **_identity(point.spec), "status": "failed",
            "reason": f"{why}; rerun with --resume", "seconds": 0.0}


def _pool(points: list[Point], root: Path, jobs: int, plots: bool):
    """Yield (point, row) as workers finish. Workers are spawned with one BLAS thread each; on Ctrl-C
    (or any error here) queued points are cancelled and running workers stopped before re-raising."""
    import multiprocessing

    saved = {k: os.environ.get(k) for k in ONE_THREAD}
    os.environ.update(ONE_THREAD)  # read by each spawned worker when it imports numpy
    pool = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init)
    try:
        futures = {pool.submit(run_point, p, root, plots): p for p in points}
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as exc:  # BrokenProcessPool (a worker died) or anything run_point could not catch
                row = _lost(futures[future], exc)
            yield futures[future], row
        pool.shutdown(wait=True)
    except BaseException:
        _stop(pool)
        raise
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued points and terminate running workers (SIGTERM: they clean up their partial runs).
    Python < 3.14 has no public call for the second part, so the pool's process table is used."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


def cores() -> int:
    """CPU cores this process may use: the default number of workers."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
