"""The CI gate: resolve targets (a spec is run first; a run directory is read back), evaluate their
checks and, optionally, compare them with a baseline run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from actinit_cli import baseline as baselines
from actinit_cli import checks, report, rundir, runner
from actinit_cli import spec as specs
from actinit_cli.checks import Result
from actinit_cli.errors import ActinitError


@dataclass(frozen=True)
class Target:
    """What a check looks at: the run directory, its spec's checks and its rows."""

    label: str
    run_dir: Path
    spec: specs.Spec
    rows: list[dict]
    per_repeat: list[list[dict]]


def resolve(path: Path, out: Path, plots: bool, progress: Callable[[int], None] | None = None) -> Target:
    """A run directory is read back as it is; a spec file is validated, run and written first."""
    path = Path(path)
    if path.is_dir():
        saved = rundir.load(path)
        return Target(str(path), path, saved.spec, saved.rows, saved.per_repeat)
    spec = specs.load(path)
    refuse_sweep(spec, "check")
    run = runner.execute(spec, progress=progress)
    run_dir = report.write(run, out, plots=plots)
    return Target(str(path), run_dir, spec, run.rows, run.per_repeat)


def refuse_sweep(spec: specs.Spec, command: str) -> None:
    """A spec with a sweep: section is many runs: only `actinit sweep` runs it."""
    if spec.resolved.get("sweep"):
        raise ActinitError(f"{spec.name}: the spec has a sweep: section; run it with actinit sweep "
                           f"(or remove sweep: to {command} the base spec)")


def evaluate(target: Target, strict: bool = False) -> list[Result]:
    """Every check of the target's spec; with `strict`, a check must also hold for every repeat."""
    results = []
    for check in target.spec["checks"]:
        result = checks.evaluate(check, target.rows, target.label)
        if strict and result.passed and len(target.per_repeat) > 1:
            failing = [(k, r) for k, rows in enumerate(target.per_repeat)
                       if not (r := checks.evaluate(check, rows, target.label)).passed]
            if failing:
                k, r = failing[0]
                result = Result(r.target, r.name, False, r.layer, r.value, r.bound,
                                f"repeat {k}: {r.message} (--strict; the mean over repeats passes)")
        results.append(result)
    return results


def gate(paths: list[Path], out: Path, strict: bool = False, baseline: Path | None = None,
         tolerance: float = 1.0, plots: bool = True, progress: Callable[[int], None] | None = None
         ) -> tuple[list[Target], list[Result]]:
    """Resolve every target, then evaluate its checks and the baseline comparison."""
    if tolerance <= 0:
        raise ActinitError(f"--tolerance: must be > 0 (doublings), got {tolerance:g}")
    report.check_out(out)
    saved = rundir.load(baseline) if baseline is not None else None
    targets = [resolve(p, out, plots, progress) for p in paths]
    results: list[Result] = []
    for t in targets:
        if not t.spec["checks"] and saved is None:
            raise ActinitError(f"{t.label}: has no checks; add a checks: section to its spec or pass --baseline")
        results += evaluate(t, strict)
        if saved is not None:
            results += baselines.compare(t.rows, saved.rows, tolerance, t.label, str(baseline))
    return targets, results
