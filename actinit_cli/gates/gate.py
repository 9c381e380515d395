"""The CI gate: resolve targets (a spec is run first; a run directory is read back), evaluate their
checks and, optionally, compare them with a baseline run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from actinit_cli.gates import baseline as baselines
from actinit_cli.run import report, rundir, runner
from actinit_cli.gates import verdict
from actinit_cli.run import spec as specs
from actinit_cli.errors import ActinitError
from actinit_cli.gates.verdict import Result


@dataclass(frozen=True)
class Target:
    """What a check looks at: the run directory, its spec's checks and its rows."""

    label: str
    run_dir: Path
    spec: specs.Spec
    rows: list[dict]
    per_repeat: list[list[dict]]


@dataclass(frozen=True)
class Planned:
    """A target validated before anything runs: a saved run, or a spec still to run; `skip` says why a
    target is left out (a sweep spec among a glob of configs)."""

    path: Path
    saved: rundir.Saved | None = None
    spec: specs.Spec | None = None
    skip: str = ""

    @property
    def sizes(self) -> list[int]:
        return (self.saved.spec if self.saved else self.spec).sizes


def plan(path: Path) -> Planned:
    """Load a run directory, or validate a spec (memory included), without running anything."""
    path = Path(path)
    if path.is_dir():
        return Planned(path, saved=rundir.load(path))
    spec = specs.load(path)
    if spec.resolved.get("sweep"):
        return Planned(path, skip=f"skipped {path}: a sweep spec (run it with actinit sweep)")
    runner.check_memory(spec, False, runner.available_bytes())
    return Planned(path, spec=spec)


def resolve(p: Planned, out: Path, plots: bool, progress: Callable[[int], None] | None = None) -> Target:
    """A run directory as saved; a spec is run and written first."""
    if p.saved is not None:
        return Target(str(p.path), p.path, p.saved.spec, p.saved.rows, p.saved.per_repeat)
    run = runner.execute(p.spec, progress=progress)
    run_dir = report.write(run, out, plots=plots)
    return Target(str(p.path), run_dir, p.spec, run.rows, run.per_repeat)


def refuse_sweep(spec: specs.Spec, command: str) -> None:
    """A spec with a sweep: section is many runs: only `actinit sweep` runs it."""
    if spec.resolved.get("sweep"):
        raise ActinitError(f"{spec.name}: the spec has a sweep: section; run it with actinit sweep "
                           f"(or remove sweep: to {command} the base spec)")


def evaluate(target: Target, strict: bool = False) -> list[Result]:
    """Every check of the target's spec; with `strict`, a check must also hold for every repeat."""
    results = []
    model = target.spec.resolved["model"]
    for check in target.spec["checks"]:
        result = verdict.evaluate(check, target.rows, model, target.label)
        if strict and result.passed and len(target.per_repeat) > 1:
            failing = [(k, r) for k, rows in enumerate(target.per_repeat)
                       if not (r := verdict.evaluate(check, rows, model, target.label)).passed]
            if failing:
                k, r = failing[0]
                result = Result(r.target, r.name, False, r.layer, r.value, r.bound,
                                f"repeat {k}: {r.message} (--strict; the mean over repeats passes)")
        results.append(result)
    return results


def gate(paths: list[Path], out: Path, strict: bool = False, baseline: Path | None = None,
         tolerance: float = 1.0, plots: bool = True, progress: Callable[[int], None] | None = None
         ) -> tuple[list[Target], list[Result], list[str]]:
    """Validate every target, the baseline and --out first; then run the specs and evaluate.

    Returns the targets, the results and the notices of skipped targets."""
    baselines.check_tolerance(tolerance)
    report.check_out(out)
    saved = rundir.load(baseline) if baseline is not None else None
    planned = [plan(p) for p in paths]
    todo = [p for p in planned if not p.skip]
    if not todo:
        raise ActinitError("check: every target is a sweep spec (run those with actinit sweep); give a spec "
                           "without sweep: or a run directory")
    for p in todo:
        checks_ = (p.saved.spec if p.saved else p.spec)["checks"]
        if not checks_ and saved is None:
            raise ActinitError(f"{p.path}: has no checks; add a checks: section to its spec or pass --baseline")
        if saved is not None:
            baselines.check_shape(p.sizes, saved.spec.sizes, str(baseline))
    results: list[Result] = []
    targets = [resolve(p, out, plots, progress) for p in todo]
    for t in targets:
        results += evaluate(t, strict)
        if saved is not None:
            results += baselines.compare(t.rows, saved.rows, tolerance, t.label, str(baseline))
    return targets, results, [p.skip for p in planned if p.skip]


def refresh_baseline(path: Path, baseline: Path, out: Path, plots: bool) -> Path:
    """Run (or read) one target and make `baseline` a copy of its run directory; checked before running."""
    baselines.check_replaceable(baseline)
    report.check_out(out)
    p = plan(path)
    if p.skip:
        raise ActinitError(p.skip.replace("skipped", "cannot use", 1))
    target = resolve(p, out, plots)
    baselines.update(target.run_dir, baseline)
    return target.run_dir
